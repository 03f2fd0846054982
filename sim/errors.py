"""The one error hierarchy: every problem a user can fix is a :class:`TracksideError`.

Its message is the text users see, word for word, in the command line (``error: ...``)
and in the app (the red banner or a dialog). It names the file, line or field at fault
and what to do. Front-ends catch ``TracksideError`` and show ``str(exc)``; anything else
that escapes is a bug in Trackside, reported as such and never as a user's mistake.

It derives from ``ValueError`` so that code written against the older, separate error
classes (all of which now derive from it) keeps working.
"""

from __future__ import annotations


class TracksideError(ValueError):
    """A problem the user can fix; ``str(exc)`` is the one-line message to show."""
