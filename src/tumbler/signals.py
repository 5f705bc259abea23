"""The ten application signals, sent through blinker exactly as Flask sends them.

Connect a receiver with ``signal.connect(func, sender=app)`` or, in tests, with
``signal.connected_to(func, sender=app)``. Receivers are called with the application as the
sender and the keyword arguments listed beside each signal. The application sends them with
``_async_wrapper=app.ensure_sync`` so ``async def`` receivers work too.
"""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

#: Sent after a template rendered; kwargs ``template``, ``context``.
template_rendered = _signals.signal("template-rendered")
#: Sent before a template renders; kwargs ``template``, ``context``.
before_render_template = _signals.signal("before-render-template")
#: Sent when request handling starts, after the request context is set up.
request_started = _signals.signal("request-started")
#: Sent after the response is built, before it is sent; kwarg ``response``.
request_finished = _signals.signal("request-finished")
#: Sent while the request context is torn down; kwarg ``exc``.
request_tearing_down = _signals.signal("request-tearing-down")
#: Sent when an unhandled exception reaches the application; kwarg ``exception``.
got_request_exception = _signals.signal("got-request-exception")
#: Sent while the application context is torn down; kwarg ``exc``.
appcontext_tearing_down = _signals.signal("appcontext-tearing-down")
#: Sent when an application context is pushed.
appcontext_pushed = _signals.signal("appcontext-pushed")
#: Sent when an application context is popped.
appcontext_popped = _signals.signal("appcontext-popped")
#: Sent when a message is flashed; kwargs ``message``, ``category``.
message_flashed = _signals.signal("message-flashed")

__all__ = [
    "_signals",
    "appcontext_popped",
    "appcontext_pushed",
    "appcontext_tearing_down",
    "before_render_template",
    "got_request_exception",
    "message_flashed",
    "request_finished",
    "request_started",
    "request_tearing_down",
    "template_rendered",
]
