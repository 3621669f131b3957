"""The one-step normal form of GD on f(x, y) = ℓ(xy) at the flip (κ = 2), as used by the catapult law.

Run ``python tools/catapult_normal_form.py``: it prints the coordinate change and the normal form
v ↦ −v(1 + E) + c30·v³ (+ c11, c12 terms, zero), E ↦ E + e20·v² + e21·E·v², to third order in
(v, E), with u = xy − 1, ε = κ − 2, H = (hℓ″(1))², B = ℓ⁗(1)/(6ℓ″(1)) and ℓ‴(1) = 0 (the good
families).  theorems.dynamics.catapult_slope and tests/test_catapult_law.py use its coefficients.
"""

import sympy as sp

v, E, H, B, d = sp.symbols("v E H B d")


def step(u: sp.Expr, kappa: sp.Expr) -> tuple[sp.Expr, sp.Expr]:
    """The exact GD step in (u, κ) with ℓ′(1 + u) = ℓ″(1)(u + Bu³) (c is scaled out)."""
    g = u * (1 + B * u**2)
    return u - kappa * g + H * g**2 * (1 + u), kappa * (1 + H * g**2) - 4 * H * g * (1 + u)


def monomials(parity: int, low: int) -> list[tuple[int, int]]:
    return [(i, j) for i in range(4) for j in range(4) if low <= i + j <= 3 and i % 2 == parity]


def main() -> None:
    a = {k: sp.Symbol(f"a{k[0]}{k[1]}") for k in monomials(0, 2)}           # u = v + Σ a v^i E^j
    b = {k: sp.Symbol(f"b{k[0]}{k[1]}") for k in monomials(1, 1)}           # ε = E + Σ b v^i E^j
    c = {k: sp.Symbol(f"c{k[0]}{k[1]}") for k in monomials(1, 2)}           # v-part: odd in v
    e = {k: sp.Symbol(f"e{k[0]}{k[1]}") for k in monomials(0, 2) if k[0]}  # E-part: even in v, no pure E

    def u_of(p: sp.Expr, q: sp.Expr) -> sp.Expr:
        return p + sum(a[k] * p ** k[0] * q ** k[1] for k in a)

    def eps_of(p: sp.Expr, q: sp.Expr) -> sp.Expr:
        return q + sum(b[k] * p ** k[0] * q ** k[1] for k in b)

    v1 = -v * (1 + E) + sum(c[k] * v ** k[0] * E ** k[1] for k in c)
    e1 = E + sum(e[k] * v ** k[0] * E ** k[1] for k in e)
    u1, k1 = step(u_of(v, E), 2 + eps_of(v, E))
    equations = []
    for lhs, rhs in ((u_of(v1, e1), u1), (eps_of(v1, e1), k1 - 2)):
        series = sp.expand(sp.series(sp.expand((lhs - rhs).subs({v: v * d, E: E * d})), d, 0, 4).removeO())
        for order in (1, 2, 3):
            equations += sp.Poly(series.coeff(d, order), v, E).coeffs()
    unknowns = [*a.values(), *b.values(), *c.values(), *e.values()]
    (solution,) = sp.solve(equations, unknowns, dict=True)
    for name in unknowns:
        print(f"{name} = {sp.factor(solution.get(name, name))}")


if __name__ == "__main__":
    main()
