"""A backtest's results drawn for people: the summary as a text table and the account curve as a
PNG. Pure rendering of what `sysproduction.backtests.results` read back; nothing here reads
results files.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd


def _f(value: float | None, fmt: str) -> str:
    return "" if value is None else format(value, fmt)


def summary_frame(summary: dict, curve: dict[str, np.ndarray], out: Path) -> tuple[pd.DataFrame, str]:
    """The summary as a frame and its title, so it prints like every other table (a rich table
    on a terminal, full-width text in pipes and echo files, CSV with `--csv`)."""
    dates = curve["date"]
    span = f"{dates[0]} to {dates[-1]}" if len(dates) else "no days"
    title = (
        f"Backtest {out} ({span}, {len(dates):,} business days; "
        f"run took {summary.get('seconds', float('nan')):.2f} s)"
    )
    rows = {
        "portfolio (net)": [
            _f(summary.get("sharpe"), ".4f"), _f(summary.get("ann_mean_pct"), ".2f"),
            _f(summary.get("ann_std_pct"), ".2f"), f"{float(np.sum(curve['net_pct'])):.2f}",
        ],
        "portfolio (gross)": [
            _f(summary.get("gross_sharpe"), ".4f"), "", "", f"{float(np.sum(curve['gross_pct'])):.2f}",
        ],
    }
    for code, sharpe in summary.get("instrument_sharpe", {}).items():
        rows[f"  {code}"] = [_f(sharpe, ".4f"), "", "", ""]
    frame = pd.DataFrame.from_dict(
        rows, orient="index", columns=["Sharpe", "ann. mean %", "ann. std %", "total %"]
    )
    return frame, title


def save_account_chart(curve: dict[str, np.ndarray], target: Path, title: str) -> Path:
    """Cumulative net and gross % of capital (not compounded), saved as a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(10, 5))
    ax.plot(curve["date"], np.cumsum(curve["gross_pct"]), label="gross", linewidth=0.8)
    ax.plot(curve["date"], np.cumsum(curve["net_pct"]), label="net of costs", linewidth=1.0)
    ax.set_ylabel("cumulative return, % of capital")
    ax.set_title(f"Account curve: {title}")
    ax.grid(True, alpha=0.3)
    ax.legend()
    fig.tight_layout()
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    from syscore.fileio import atomic_path

    with atomic_path(target, fsync=False) as tmp:
        fig.savefig(tmp, format="png", dpi=100)
    plt.close(fig)
    return target
