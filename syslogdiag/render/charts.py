"""Small PNG charts shared by the reports (matplotlib, Agg backend: no display needed in cron).

Each function takes values and returns PNG bytes; nothing here reads data. Charts are small
(about 900 x 380 pixels) so an email with several stays light.
"""

from __future__ import annotations

import io

import pandas as pd

WIDTH, HEIGHT, DPI = 9.0, 3.8, 100


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _png(fig) -> bytes:
    plt = _pyplot()
    buffer = io.BytesIO()
    fig.tight_layout()
    fig.savefig(buffer, format="png", dpi=DPI)
    plt.close(fig)
    return buffer.getvalue()


def line_chart(lines: pd.Series | pd.DataFrame, title: str, ylabel: str, zero_line: bool = False) -> bytes:
    """One line per column (or the one series) against its time index."""
    plt = _pyplot()
    frame = lines.to_frame() if isinstance(lines, pd.Series) else lines
    fig, ax = plt.subplots(figsize=(WIDTH, HEIGHT))
    for column in frame.columns:
        values = frame[column].dropna()
        ax.plot(values.index, values.to_numpy(), label=str(column), linewidth=1.2)
    if zero_line:
        ax.axhline(0.0, color="#888888", linewidth=0.7)
    ax.set_title(title, fontsize=11)
    ax.set_ylabel(ylabel)
    ax.grid(True, alpha=0.3)
    if len(frame.columns) > 1:
        ax.legend(fontsize=9)
    fig.autofmt_xdate()
    return _png(fig)


def positions_against_buffers(frame: pd.DataFrame, title: str) -> bytes:
    """Per instrument (the index): the buffer [lower, upper] as a bar, the optimal position as a
    tick and the position held as a dot, red when it lies outside the buffer."""
    plt = _pyplot()
    labels = [str(label) for label in frame.index]
    xs = list(range(len(labels)))
    fig, ax = plt.subplots(figsize=(WIDTH, HEIGHT))
    lower, upper = frame["lower"].astype(float), frame["upper"].astype(float)
    ax.bar(xs, (upper - lower).to_numpy(), bottom=lower.to_numpy(), width=0.5, color="#c9dcef",
           edgecolor="#7aa6cf", label="buffer")
    ax.scatter(xs, frame["optimal"].astype(float), marker="_", s=300, color="#1f4e79", label="optimal")
    held = frame["position"].astype(float)
    outside = (held < lower) | (held > upper)
    ax.scatter([x for x, o in zip(xs, outside, strict=True) if not o], held[~outside], color="#2e8b57",
               zorder=3, label="held (inside)")
    ax.scatter([x for x, o in zip(xs, outside, strict=True) if o], held[outside], color="#c0392b",
               zorder=3, label="held (outside)")
    ax.axhline(0.0, color="#888888", linewidth=0.7)
    ax.set_xticks(xs, labels, rotation=45 if len(labels) > 8 else 0, ha="right" if len(labels) > 8 else "center")
    ax.set_ylabel("contracts")
    ax.set_title(title, fontsize=11)
    ax.grid(True, axis="y", alpha=0.3)
    ax.legend(fontsize=8, loc="best")
    return _png(fig)


def bar_chart(values: pd.Series, title: str, ylabel: str) -> bytes:
    """One bar per label (the index), red below zero."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(WIDTH, HEIGHT))
    labels = [str(label) for label in values.index]
    colours = ["#c0392b" if v < 0 else "#2e6da4" for v in values.to_numpy()]
    ax.bar(range(len(labels)), values.to_numpy(), color=colours)
    ax.axhline(0.0, color="#888888", linewidth=0.7)
    ax.set_xticks(range(len(labels)), labels, rotation=45 if len(labels) > 8 else 0,
                  ha="right" if len(labels) > 8 else "center")
    ax.set_ylabel(ylabel)
    ax.set_title(title, fontsize=11)
    ax.grid(True, axis="y", alpha=0.3)
    return _png(fig)
