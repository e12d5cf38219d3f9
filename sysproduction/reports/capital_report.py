"""The data of `sysprod report capital`: total capital's history and each strategy's, as frames,
and one PNG chart of both (matplotlib, Agg backend: no display needed)."""

from __future__ import annotations

import io

import pandas as pd

from sysdata.data_blob import DataBlob

# column -> (label, line style, width): drawn so that lines lying on each other (under `full`
# all three are one line until a withdrawal or deposit) stay visible
TOTAL_LINES = {
    "broker_account_value": ("broker account value", "-", 3.0),
    "total_capital": ("total capital", "-", 1.4),
    "max_capital": ("max capital", "--", 1.2),
}


def total_capital_history(data: DataBlob) -> pd.DataFrame:
    """Every total capital entry with why it was written (`source`)."""
    return data.total_capital.entries()


def strategy_capital_history(data: DataBlob) -> pd.DataFrame:
    """One column per strategy."""
    return data.strategy_capital.all_history()


def combined_history(total: pd.DataFrame, strategies: pd.DataFrame) -> pd.DataFrame:
    """Both histories in one frame on one time index (for CSV): strategy columns are named
    `strategy_<name>`; a time with no entry of one kind is empty in its columns."""
    renamed = strategies.rename(columns=lambda name: f"strategy_{name}")
    if total.empty:
        return renamed
    if renamed.empty:
        return total
    # entries at one time are kept in order (join would multiply duplicated times)
    total_part = total.assign(_n=total.groupby(level=0).cumcount())
    strat_part = renamed.assign(_n=renamed.groupby(level=0).cumcount())
    merged = total_part.set_index("_n", append=True).join(strat_part.set_index("_n", append=True), how="outer")
    return merged.droplevel("_n").sort_index(kind="stable")


def capital_chart(total: pd.DataFrame, strategies: pd.DataFrame, title: str) -> bytes:
    """PNG: total capital, max capital and broker account value above; each strategy's capital
    below (a panel is left out when it has nothing)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    panels = [p for p, frame in (("total", total), ("strategies", strategies)) if not frame.empty]
    fig, axes = plt.subplots(len(panels), 1, figsize=(9.0, 3.2 * len(panels)), sharex=True, squeeze=False)
    for ax, panel in zip(axes[:, 0], panels, strict=True):
        if panel == "total":
            for column, (label, style, width) in TOTAL_LINES.items():
                ax.step(total.index, total[column].to_numpy(), where="post", label=label,
                        linestyle=style, linewidth=width, alpha=0.45 if width > 2 else 1.0)
            ax.set_title(title, fontsize=11)
            ax.set_ylabel("total")
        else:
            for column in strategies.columns:
                values = strategies[column].dropna()
                ax.step(values.index, values.to_numpy(), where="post", label=str(column), linewidth=1.3)
            ax.set_ylabel("per strategy")
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=8, loc="best")
        ax.yaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: f"{v:,.0f}"))
    fig.autofmt_xdate()
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100)
    plt.close(fig)
    return buffer.getvalue()
