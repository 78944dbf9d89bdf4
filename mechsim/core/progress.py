"""Progress bars for long runs (tqdm on a terminal, silent otherwise)."""

from __future__ import annotations

import sys
from typing import Any

__all__ = ["Progress"]


class Progress:
    """A factory of progress bars.

    Parameters
    ----------
    enabled : bool or None
        ``None`` shows bars only when stderr is a terminal.
    """

    def __init__(self, enabled: bool | None = None) -> None:
        self.enabled = sys.stderr.isatty() if enabled is None else enabled

    def bar(self, total: int, desc: str) -> Any:
        if self.enabled:
            try:
                from tqdm.auto import tqdm
            except ImportError:  # pragma: no cover - tqdm is a core dependency
                return _NullBar()
            return tqdm(total=total, desc=desc, leave=False, dynamic_ncols=True, file=sys.stderr)
        return _NullBar()


class _NullBar:
    def update(self, n: int = 1) -> None:
        pass

    def set_postfix_str(self, s: str) -> None:
        pass

    def close(self) -> None:
        pass

    def __enter__(self) -> _NullBar:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()
