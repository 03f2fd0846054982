"""A small box-constrained quadratic-program solver for the racing line.

Minimise ``0.5 x'Hx + g'x`` subject to ``lo <= x <= hi`` for the banded (cyclic)
matrices that second differences of a closed line produce. Projected Newton
(Bertsekas 1982) with an O(N) banded solve; numpy only.
"""

from __future__ import annotations

import numpy as np

QP_TOLERANCE_M = 1e-4
"""A solve stops once no offset moves more than this between iterations, m."""


def box_qp(H: np.ndarray, g: np.ndarray, lo: np.ndarray, hi: np.ndarray, x0: np.ndarray | None = None,
            max_iter: int = 50) -> np.ndarray:
    """Minimise ``x H x / 2 + g x`` over ``lo <= x <= hi`` (``H`` positive definite) by projected Newton.

    Bertsekas, "Projected Newton methods for optimization problems with simple
    constraints", SIAM J. Control Optim. 20 (1982): Newton steps on the variables not
    held at a bound, an Armijo search along the projected path. The primal-dual
    active-set method cycles here (the Hessian is not an M-matrix and its long-wave
    modes are nearly free); this one decreases the objective every step. ``x0`` is
    a starting guess (e.g. on the bounds that held last time), else 0.
    """

    def f(x):
        return 0.5 * x @ H @ x + g @ x

    x = np.clip(np.zeros_like(g) if x0 is None else x0, lo, hi)
    held = lo >= hi
    scale = np.diag(H).copy()
    for _ in range(max_iter):
        grad = H @ x + g
        # Bertsekas' epsilon-active set: a variable within eps of a bound, with the
        # gradient pushing it outward, is held there; eps shrinks near the solution.
        eps = min(1e-3, float(np.max(np.abs(x - np.clip(x - grad / scale, lo, hi)))))
        bound = held | ((x <= lo + eps) & (grad > 0)) | ((x >= hi - eps) & (grad < 0))
        free = ~bound
        d = np.where(held, 0.0, -grad / scale)  # scaled gradient for the held ones
        if free.any():
            d[free] = solve_cyclic_band(H[np.ix_(free, free)], -grad[free])
        f0, beta = f(x), 1.0
        while True:
            x_new = np.clip(x + beta * d, lo, hi)
            if f(x_new) <= f0 + 1e-4 * grad @ (x_new - x) or beta < 1e-8:
                break
            beta *= 0.5
        step = float(np.max(np.abs(x_new - x)))
        x = x_new
        # Near the end, points that touch a border with almost no force on them can
        # flip in and out of the held set, and rounding can fail the Armijo test for a
        # step that changes nothing; a tenth of a millimetre is far finer than needed.
        if step < QP_TOLERANCE_M:
            break
    return x


def solve_cyclic_band(A: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Solve ``A x = b`` for symmetric positive definite ``A`` ``(m, m)`` whose nonzeros lie within
    two places of the diagonal, cyclically (the second-difference Hessian of a loop or a line).

    A dense solve costs O(m^3) and, with a multithreaded BLAS on a busy machine, far more;
    this costs O(m). The last two unknowns hold every wrap-around coupling, so the rest
    form a plain five-band system, factored as L D L^T; the two are joined through
    their 2x2 Schur complement (block elimination).
    """
    m = len(b)
    if m <= 6:
        return np.linalg.solve(A, b)
    k = m - 2
    d, e, f = np.diagonal(A)[:k].tolist(), np.diagonal(A, -1)[: k - 1].tolist(), np.diagonal(A, -2)[: k - 2].tolist()
    # L D L^T of the five-band block: l1[i] = L[i, i-1], l2[i] = L[i, i-2].
    D, l1, l2 = [0.0] * k, [0.0] * k, [0.0] * k
    for i in range(k):
        di = d[i]
        if i >= 2:
            l2[i] = f[i - 2] / D[i - 2]
            di -= l2[i] * l2[i] * D[i - 2]
        if i >= 1:
            l1[i] = (e[i - 1] - (l2[i] * D[i - 2] * l1[i - 1] if i >= 2 else 0.0)) / D[i - 1]
            di -= l1[i] * l1[i] * D[i - 1]
        D[i] = di

    def band_solve(r):
        z = r.tolist()
        for i in range(1, k):
            z[i] -= l1[i] * z[i - 1] + (l2[i] * z[i - 2] if i >= 2 else 0.0)
        x = [zi / Di for zi, Di in zip(z, D)]
        for i in range(k - 2, -1, -1):
            x[i] -= l1[i + 1] * x[i + 1] + (l2[i + 2] * x[i + 2] if i + 2 < k else 0.0)
        return np.array(x)

    A_is = A[:k, k:]  # (k, 2) couplings to the last two unknowns
    y = band_solve(b[:k])
    Z = np.stack([band_solve(A_is[:, 0]), band_solve(A_is[:, 1])], axis=1)
    schur = A[k:, k:] - A_is.T @ Z
    x_s = np.linalg.solve(schur, b[k:] - A_is.T @ y)
    return np.concatenate([y - Z @ x_s, x_s])
