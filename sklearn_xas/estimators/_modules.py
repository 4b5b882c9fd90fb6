"""Small torch modules and losses wrapped by the estimators of :mod:`sklearn_xas.estimators`.

They are importable classes (not closures) so that skorch can build them from a class
and keyword arguments, and so that fitted estimators pickle.
"""

import numpy as np
import torch
from torch import nn

#: Activation names accepted by the modules (``activation=`` of the estimators).
ACTIVATIONS = {
    "relu": nn.ReLU,
    "gelu": nn.GELU,
    "silu": nn.SiLU,
    "tanh": nn.Tanh,
    "elu": nn.ELU,
}


def _activation(name):
    try:
        return ACTIVATIONS[name]()
    except KeyError:
        raise ValueError(
            f"activation must be one of {sorted(ACTIVATIONS)}, got {name!r}."
        ) from None


def _as_buffer(value, n):
    """A float32 tensor of length ``n`` from ``value`` (scalar, array or None -> zeros)."""
    if value is None:
        return torch.zeros(n)
    out = torch.as_tensor(np.asarray(value, dtype=np.float32)).reshape(-1)
    if out.numel() == 1 and n != 1:
        out = out.expand(n).clone()
    if out.numel() != n:
        raise ValueError(f"expected {n} values, got {out.numel()}.")
    return out


def _inverse_softplus(v):
    """``log(exp(v) - 1)``, computed stably, for ``v > 0``."""
    v = np.maximum(np.asarray(v, dtype=np.float64), 1e-6)
    return np.where(v > 20.0, v, np.log(np.expm1(np.minimum(v, 20.0))))


class _PositiveOutput(nn.Module):
    """Map raw outputs ``z`` to ``lower + softplus(z + shift)``, elementwise.

    With ``lower = -mean / scale`` (targets standardised with ``mean`` and ``scale``)
    the output is non-negative in the original units; ``shift`` makes ``z = 0`` map to
    the standardised value 0 (the training mean), so a freshly initialised network
    starts at the mean as it would without the constraint.
    """

    def __init__(self, lower):
        super().__init__()
        lower = np.asarray(lower, dtype=np.float64).reshape(-1)
        self.register_buffer("lower", torch.as_tensor(lower, dtype=torch.float32))
        shift = _inverse_softplus(-lower)
        self.register_buffer("shift", torch.as_tensor(shift, dtype=torch.float32))

    def forward(self, z):
        return self.lower + nn.functional.softplus(z + self.shift)


def _mlp_layers(n_inputs, hidden_layer_sizes, activation, dropout):
    layers, width = [], n_inputs
    for size in hidden_layer_sizes:
        layers += [nn.Linear(width, int(size)), _activation(activation)]
        if dropout:
            layers.append(nn.Dropout(dropout))
        width = int(size)
    return layers, width


class MLP(nn.Module):
    """A fully connected network: ``n_inputs -> hidden layers -> n_outputs``.

    Parameters
    ----------
    n_inputs : int
        Width of the input.
    n_outputs : int
        Width of the output (points of a spectrum, labels, or 1).
    hidden_layer_sizes : sequence of int, default=(256, 256)
        Widths of the hidden layers; empty for a linear model.
    activation : {"relu", "gelu", "silu", "tanh", "elu"}, default="relu"
        Activation after each hidden layer.
    dropout : float, default=0.0
        Dropout probability after each hidden activation.
    output_lower : array-like of shape (n_outputs,), optional
        When given, the outputs are constrained to ``output_lower + softplus(...)``,
        i.e. to be at least ``output_lower`` (see :class:`SpectrumRegressor`'s
        ``positive_output``).

    Examples
    --------
    >>> import torch
    >>> from sklearn_xas.estimators import MLP
    >>> MLP(4, 3, hidden_layer_sizes=(8,))(torch.zeros(2, 4)).shape
    torch.Size([2, 3])
    """

    def __init__(
        self,
        n_inputs,
        n_outputs,
        hidden_layer_sizes=(256, 256),
        activation="relu",
        dropout=0.0,
        output_lower=None,
    ):
        super().__init__()
        layers, width = _mlp_layers(n_inputs, hidden_layer_sizes, activation, dropout)
        layers.append(nn.Linear(width, n_outputs))
        self.layers = nn.Sequential(*layers)
        self.output = nn.Identity() if output_lower is None else _PositiveOutput(output_lower)

    def forward(self, X):
        """Map a batch of inputs to outputs.

        Parameters
        ----------
        X : torch.Tensor of shape (batch, n_inputs)
            A batch of inputs.

        Returns
        -------
        out : torch.Tensor of shape (batch, n_outputs)
        """
        return self.output(self.layers(X))


class Conv1DNet(nn.Module):
    """A 1-D convolutional network over a spectrum, with optional extra features.

    The first ``n_spectrum`` input columns are read as one spectrum on a common grid and
    go through ``len(channels)`` blocks of convolution, activation and max-pooling (by
    2), then an adaptive average pooling to ``pooled_length`` positions. The remaining
    input columns (for instance the absorber's element encoding) are concatenated to
    the flattened result, which a fully connected head maps to ``n_outputs``.

    Parameters
    ----------
    n_inputs : int
        Width of the input.
    n_outputs : int
        Width of the output.
    n_spectrum : int, optional
        How many leading input columns form the spectrum; all of them when ``None``.
    channels : sequence of int, default=(16, 32)
        Output channels of the convolution blocks.
    kernel_size : int, default=5
        Width of the convolution kernels (odd widths keep the length: the padding is
        ``kernel_size // 2``).
    pooled_length : int, default=8
        Positions the adaptive average pooling leaves after the last block.
    hidden_layer_sizes : sequence of int, default=(128,)
        Widths of the fully connected head's hidden layers.
    activation : {"relu", "gelu", "silu", "tanh", "elu"}, default="relu"
        Activation after each convolution and each hidden layer of the head.
    dropout : float, default=0.0
        Dropout probability in the head.

    Examples
    --------
    >>> import torch
    >>> from sklearn_xas.estimators import Conv1DNet
    >>> net = Conv1DNet(50 + 3, 4, n_spectrum=50, channels=(4,))
    >>> net(torch.zeros(2, 53)).shape
    torch.Size([2, 4])
    """

    def __init__(
        self,
        n_inputs,
        n_outputs,
        n_spectrum=None,
        channels=(16, 32),
        kernel_size=5,
        pooled_length=8,
        hidden_layer_sizes=(128,),
        activation="relu",
        dropout=0.0,
    ):
        super().__init__()
        n_spectrum = n_inputs if n_spectrum is None else int(n_spectrum)
        if not 1 <= n_spectrum <= n_inputs:
            raise ValueError(
                f"n_spectrum must be between 1 and the input width {n_inputs}, got {n_spectrum}."
            )
        self.n_spectrum = n_spectrum
        blocks, in_ch, length = [], 1, n_spectrum
        for out_ch in channels:
            blocks += [
                nn.Conv1d(in_ch, int(out_ch), kernel_size, padding=kernel_size // 2),
                _activation(activation),
            ]
            if length >= 2:
                blocks.append(nn.MaxPool1d(2))
                length //= 2
            in_ch = int(out_ch)
        blocks.append(nn.AdaptiveAvgPool1d(pooled_length))
        self.conv = nn.Sequential(*blocks)
        n_head = in_ch * pooled_length + (n_inputs - n_spectrum)
        layers, width = _mlp_layers(n_head, hidden_layer_sizes, activation, dropout)
        layers.append(nn.Linear(width, n_outputs))
        self.head = nn.Sequential(*layers)

    def forward(self, X):
        """Map a batch of spectra (and extra features) to outputs.

        Parameters
        ----------
        X : torch.Tensor of shape (batch, n_inputs)
            A batch of inputs.

        Returns
        -------
        out : torch.Tensor of shape (batch, n_outputs)
        """
        spectrum = X[:, : self.n_spectrum].unsqueeze(1)
        features = self.conv(spectrum).flatten(1)
        extra = X[:, self.n_spectrum :]
        if extra.shape[1]:
            features = torch.cat([features, extra], dim=1)
        return self.head(features)


class SpectrumLoss(nn.Module):
    """Mean squared error plus a weighted mean squared error of the first difference.

    ``loss = MSE(pred, target) + derivative_weight * mean((diff(e) / mean(scale))**2)``
    with ``e = (pred - target) * scale``: when the targets were standardised per
    point with ``scale``, ``e`` is the error in the original units, so the second term
    compares the slopes of the spectra themselves, made dimensionless by the mean
    scale.

    Parameters
    ----------
    derivative_weight : float, default=0.0
        Weight of the first-difference term; 0 leaves the plain mean squared error.
    scale : array-like of shape (n_outputs,), optional
        Per-point scale of the standardised targets (ones when ``None``).

    Examples
    --------
    >>> import torch
    >>> from sklearn_xas.estimators import SpectrumLoss
    >>> loss = SpectrumLoss(derivative_weight=1.0)
    >>> float(loss(torch.tensor([[0.0, 1.0]]), torch.tensor([[0.0, 0.0]])))
    1.5
    """

    def __init__(self, derivative_weight=0.0, scale=None):
        super().__init__()
        self.derivative_weight = float(derivative_weight)
        if scale is None:
            scale = np.ones(1)
        scale = np.asarray(scale, dtype=np.float64).reshape(-1)
        mean_scale = float(np.mean(scale)) or 1.0
        self.register_buffer("scale", torch.as_tensor(scale / mean_scale, dtype=torch.float32))

    def forward(self, y_pred, y_true):
        """The loss of a batch.

        Parameters
        ----------
        y_pred : torch.Tensor of shape (batch, n_outputs)
            Predicted (standardised) targets.
        y_true : torch.Tensor of shape (batch, n_outputs)
            True (standardised) targets.

        Returns
        -------
        loss : torch.Tensor
            A scalar.
        """
        loss = nn.functional.mse_loss(y_pred, y_true)
        if self.derivative_weight and y_pred.ndim == 2 and y_pred.shape[1] > 1:
            error = (y_pred - y_true) * self.scale
            loss = loss + self.derivative_weight * torch.diff(error, dim=1).pow(2).mean()
        return loss


def n_parameters(module):
    """Number of trainable parameters of ``module``."""
    return sum(p.numel() for p in module.parameters() if p.requires_grad)


__all__ = ["ACTIVATIONS", "Conv1DNet", "MLP", "SpectrumLoss", "n_parameters"]
