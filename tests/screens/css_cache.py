"""The app's stylesheet parsed once per worker, not once per screen of every test.

Textual parses every CSS source again (desk.tcss and each widget's DEFAULT_CSS) each
time the app starts and whenever a screen is shown whose styles are out of date: it
keeps parsed rules only inside one ``Stylesheet``, and ``reparse`` starts from a fresh
one. A screen test starts an app and opens two or three screens, so it paid ~0.2 s
of CPU for parsing the same text (7 % of a screen test; measured on
tests/screens/test_directory.py and tests/screens/handover/test_handover_screen.py).

Parsing is a pure function of what the cache key holds: the CSS text, where it was
read from, default or not, the tie breaker, the scope and the variables (the theme's
colours) substituted into it. Textual never changes a parsed ``RuleSet`` afterwards
(it already shares them between parses of one app), so apps may share them too. CSS
that fails to parse is never cached: it raises in every test, as before.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from textual.css.model import RuleSet
from textual.css.stylesheet import Stylesheet
from textual.css.types import CSSLocation

_PARSED: dict[tuple[object, ...], list[RuleSet]] = {}
_LIMIT = 4096  # a bound that is never reached (about 150 sources, one theme)


_last_variables: list[tuple[dict[str, str], tuple[tuple[str, str], ...]]] = []


def _variables_key(variables: dict[str, str]) -> tuple[tuple[str, str], ...]:
    """The variables as a key, computed once per dict: Textual hands every stylesheet a
    new dict when they change (``set_variables``) and never changes one in place."""
    if _last_variables and _last_variables[0][0] is variables:
        return _last_variables[0][1]
    key = tuple(sorted(variables.items()))
    _last_variables[:] = [(variables, key)]
    return key


@contextmanager
def css_parsed_once() -> Iterator[None]:
    """While inside, parsed CSS is shared by every app of this process."""
    original = Stylesheet._parse_rules

    def parse_rules(
        self: Stylesheet,
        css: str,
        read_from: CSSLocation,
        is_default_rules: bool = False,
        tie_breaker: int = 0,
        scope: str = "",
    ) -> list[RuleSet]:
        key = (css, read_from, is_default_rules, tie_breaker, scope,
               _variables_key(self._variables))
        rules = _PARSED.get(key)
        if rules is None:
            rules = original(self, css, read_from, is_default_rules, tie_breaker, scope)
            if len(_PARSED) >= _LIMIT:
                _PARSED.clear()
            _PARSED[key] = rules
        return rules

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(Stylesheet, "_parse_rules", parse_rules)
        yield
    _PARSED.clear()
    _last_variables.clear()
