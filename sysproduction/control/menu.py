"""Numbered terminal menus that also work with piped input (so they are scriptable and testable).

Each line of input answers one prompt; the end of input leaves the menu cleanly, so
`printf '1\n0\n' | python -m sysproduction.interactive_controls` prints the process states and
exits with code 0.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from syscore.exceptions import SysprodError


class EndOfInput(Exception):
    """Input ran out (Ctrl-D, or the end of a pipe)."""


class Prompter:
    def __init__(self, read: Callable[[str], str] = input, write: Callable[[str], None] = print):
        self._read = read
        self.write = write

    def ask(self, prompt: str, default: str | None = None) -> str:
        shown = f"{prompt} [{default}]: " if default else f"{prompt}: "
        try:
            answer = self._read(shown).strip()
        except EOFError:
            raise EndOfInput from None
        return answer if answer else (default or "")

    def choose(self, prompt: str, options: Sequence[str]) -> str | None:
        """Pick one of `options` by number or by name; None when the answer is empty."""
        for number, option in enumerate(options, start=1):
            self.write(f"  {number}. {option}")
        answer = self.ask(prompt)
        if not answer:
            return None
        if answer.isdigit() and 1 <= int(answer) <= len(options):
            return options[int(answer) - 1]
        for candidate in (answer, f"run_{answer}"):
            if candidate in options:
                return candidate
        self.write(f"'{answer}' is not one of the {len(options)} choices")
        return None


def run_menu(title: str, items: Sequence[tuple[str, Callable[[Prompter], None]]], prompter: Prompter) -> None:
    """Show the numbered items until 0 (or the end of input); errors print one line and return
    to the menu."""
    while True:
        prompter.write("")
        prompter.write(title)
        for number, (label, _) in enumerate(items, start=1):
            prompter.write(f"  {number}. {label}")
        prompter.write("  0. exit")
        try:
            answer = prompter.ask("choice")
        except EndOfInput:
            return
        if answer in ("0", "q", "quit", "exit"):
            return
        if not answer.isdigit() or not 1 <= int(answer) <= len(items):
            prompter.write(f"choose a number from 0 to {len(items)}")
            continue
        label, action = items[int(answer) - 1]
        try:
            action(prompter)
        except EndOfInput:
            return
        except SysprodError as exc:
            prompter.write(f"error: {exc}")
