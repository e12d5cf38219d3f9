"""Exponentially weighted estimates read at fit dates (ESTIMATION_SPEC section 0).

Each statistic is computed once over the whole history by pandas' exponentially weighted
updates (the reference's own arithmetic, which the Sharpe-ratio adjustment's SLSQP step is
sensitive to at the 1e-8 level), then read at the rows the fits need: no fit recomputes history.
Correlations use `ignore_na=True`: a pair's weights age only on rows where both values exist.
"""

from __future__ import annotations

import numpy as np


def ew_mean_std(values: np.ndarray, span: float, min_periods: int) -> tuple[np.ndarray, np.ndarray]:
    """EWMEAN and EWSTD (NaN rows age the weights) of every column, every row."""
    import pandas as pd

    frame = pd.DataFrame(values)
    ew = frame.ewm(span=span, min_periods=min_periods)
    return ew.mean().to_numpy(), ew.std().to_numpy()


def ew_corr_at(values: np.ndarray, span: float, min_periods: int, rows: np.ndarray) -> np.ndarray:
    """EWCORR matrices (len(rows) x N x N) as of each row in `rows` (-1: no row yet, NaN).

    For each pair only the rows where both exist count; a row with no joint observation carries
    the previous value. NaN until `min_periods` joint observations.
    """
    import pandas as pd

    n_rows, width = values.shape
    out = np.full((len(rows), width, width), np.nan)
    read = np.asarray(rows)
    if n_rows == 0 or not (read >= 0).any():
        return out
    last = int(read.max()) + 1
    frame = pd.DataFrame(values[:last])
    corr = frame.ewm(span=span, min_periods=min_periods, ignore_na=True).corr(pairwise=True)
    blocks = corr.to_numpy().reshape(last, width, width)
    ok = read >= 0
    out[ok] = blocks[read[ok]]
    return out
