"""Numbered terminal menus that also work with piped input (so they are scriptable and testable).

Each line of input answers one prompt; the end of input leaves the menu cleanly, so
`printf '1\n0\n' | python -m sysproduction.interactive_controls` prints the process states and
exits with code 0.

A menu takes only what it offers: an answer that is not one of the offered choices, a count out
of its range, or a number that is not finite gets one line saying what is allowed and the same
question again. Every tool asks through the helpers here (`choose`, `ask_word`, `ask_int`,
`ask_number`), so no tool parses an answer itself. Only ASCII digits count as numbers: `str.isdigit()` also accepts
`²` and other digits that `int()` refuses, which is how a single stray key used to end a tool with
a traceback.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable, Sequence

from syscore.exceptions import SysprodError

_WHOLE_NUMBER = re.compile(r"[+-]?[0-9]+")
_CHOICE_NUMBER = re.compile(r"[0-9]+")
_DATE_TIME = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}( [0-9]{2}:[0-9]{2}(:[0-9]{2})?)?")


class EndOfInput(Exception):
    """Input ran out (Ctrl-D, or the end of a pipe)."""


def parse_choice_number(answer: str, count: int) -> int | None:
    """The 1-based number `answer` names among `count` choices, or None when it names none."""
    if not _CHOICE_NUMBER.fullmatch(answer):
        return None
    number = int(answer)
    return number if 1 <= number <= count else None


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

    def choose(self, prompt: str, options: Sequence[str], allow_empty: bool = True) -> str | None:
        """Pick one of `options` by number or by name; None when the answer is empty (if
        `allow_empty`). Anything else is refused in one line and asked again."""
        for number, option in enumerate(options, start=1):
            self.write(f"  {number}. {option}")
        skip = " (empty to skip)" if allow_empty else ""
        while True:
            answer = self.ask(prompt)
            if not answer and allow_empty:
                return None
            number = parse_choice_number(answer, len(options))
            if number is not None:
                return options[number - 1]
            for candidate in (answer, f"run_{answer}"):
                if candidate in options:
                    return candidate
            self.write(f"'{answer}' is not one of the choices: give a number from 1 to {len(options)}{skip}")

    def ask_word(self, prompt: str, words: Sequence[str], default: str) -> str:
        """One of `words`, in any case (empty takes `default`); asked again until it is one."""
        while True:
            answer = self.ask(prompt, default).upper()
            if answer in words:
                return answer
            self.write(f"'{answer}' is not allowed: give one of {', '.join(words)}")

    def ask_int(self, prompt: str, default: int, minimum: int, maximum: int) -> int:
        """A whole number in [minimum, maximum] (empty takes `default`); asked again until it is one."""
        while True:
            answer = self.ask(prompt, str(default))
            if _WHOLE_NUMBER.fullmatch(answer) and minimum <= int(answer) <= maximum:
                return int(answer)
            self.write(f"'{answer}' is not allowed: give a whole number from {minimum} to {maximum}")

    def ask_number(
        self, prompt: str, allowed: Callable[[float], bool], rule: str, default: float | None = None
    ) -> float:
        """A finite number that `allowed` accepts (`rule` says which, e.g. "a positive number");
        asked again until it is one (empty takes `default`, when given). `nan` and `inf` are
        never numbers here."""
        while True:
            answer = self.ask(prompt, None if default is None else repr(float(default)))
            try:
                value = float(answer)
            except ValueError:
                value = math.nan
            if math.isfinite(value) and allowed(value):
                return value
            self.write(f"'{answer}' is not allowed: give {rule}")


    def ask_datetime(self, prompt: str) -> dt.datetime:
        """A time written YYYY-MM-DD or YYYY-MM-DD HH:MM[:SS]; asked again until it is one."""
        while True:
            answer = self.ask(f"{prompt} (YYYY-MM-DD or YYYY-MM-DD HH:MM)")
            if _DATE_TIME.fullmatch(answer):
                try:
                    return dt.datetime.fromisoformat(answer)
                except ValueError:
                    pass
            self.write(f"'{answer}' is not allowed: give a date YYYY-MM-DD, or YYYY-MM-DD HH:MM")

    def confirm(self, prompt: str) -> bool:
        """Yes or no (empty is no)."""
        return self.ask_word(f"{prompt} (y/n)", ("Y", "YES", "N", "NO"), "n") in ("Y", "YES")


def _ask_menu_number(prompter: Prompter, count: int) -> int:
    """The menu item number (0 = exit); anything else gets one line and the question again."""
    while True:
        answer = prompter.ask("choice")
        if answer.lower() in ("0", "q", "quit", "exit"):
            return 0
        number = parse_choice_number(answer, count)
        if number is not None:
            return number
        prompter.write(f"'{answer}' is not on the menu: choose a number from 0 to {count}")


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
            number = _ask_menu_number(prompter, len(items))
        except EndOfInput:
            return
        if number == 0:
            return
        label, action = items[number - 1]
        try:
            action(prompter)
        except EndOfInput:
            return
        except SysprodError as exc:
            prompter.write(f"error: {exc}")
