"""Starting Ray for the work that outgrows one process (sweeps, league queues): one way, one set of messages.

Ray runs locally (``ray.init(num_cpus=...)``) unless an ``address`` names a cluster: ``auto`` or
``HOST:PORT`` from a node of it, ``ray://HOST:10001`` from elsewhere with Ray's client. Clusters
started with ``ray start`` authenticate with a token from Ray 2.59 on (on by default for them); a
driver joining one needs ``RAY_AUTH_MODE=token`` and the token (``~/.ray/auth_token`` on the node,
or ``RAY_AUTH_TOKEN``; ``ray get-auth-token`` prints it), and a failed join says so.
"""

from __future__ import annotations

import os

AUTH_HINT = ("if the cluster uses token authentication (clusters started with `ray start` do from Ray 2.59 on), "
             "set RAY_AUTH_MODE=token here too, with its token in ~/.ray/auth_token or RAY_AUTH_TOKEN "
             "(`ray get-auth-token` on the head node prints it)")
"""Said after a failed join when this process does not use token authentication."""


def start_ray(ray, address: str | None, num_cpus: int | None, error: type[Exception]) -> None:
    """Start a local Ray with ``num_cpus`` (default: all cores) or join the cluster at ``address``;
    raise ``error`` with the reason, in one line, when that fails."""
    if address and address.startswith("ray://"):
        try:
            import grpc  # noqa: F401 (Ray's client needs it)
        except ImportError:
            raise error(f"{address}: a ray:// address needs Ray's client: pip install 'ray[client]' "
                        "(or run on a node of the cluster with --address auto)") from None
    try:
        ray.init(address=address, num_cpus=None if address else num_cpus, include_dashboard=False,
                 log_to_driver=False)
    except Exception as exc:  # noqa: BLE001 (Ray raises many kinds; each is one line for the user)
        text = str(exc).strip().splitlines()
        reason = text[-1] if text else exc.__class__.__name__
        hint = f"; {AUTH_HINT}" if address and os.environ.get("RAY_AUTH_MODE", "").lower() != "token" else ""
        raise error(f"Ray did not start{f' at {address}' if address else ''}: {reason}{hint}") from None
