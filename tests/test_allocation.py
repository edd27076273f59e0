"""The allocation of counted equipment to functions: one asset, one job (tracker/allocation.py)."""

from __future__ import annotations

from tracker.allocation import Bucket, allocate
from tracker.plan import Function, Requirement


def fn(ident, *reqs, area="Borgerservice", shares="", accepts=()):
    return Function(
        ident,
        ident,
        area,
        tuple(Requirement(k, lo, hi) for k, lo, hi in reqs),
        False,
        shares,
        tuple(accepts),
    )


def pool(**kinds):
    """kind=n or kind=[(department, holder, n), ...]"""
    out = {}
    for kind, spec in kinds.items():
        specs = [("Borgerservice", "", spec)] if isinstance(spec, int) else spec
        out[kind] = [
            Bucket(kind, d, h, n, tuple(f"{kind}-{d[:1]}{h}-{i}" for i in range(n)))
            for d, h, n in specs
        ]
    return out


def have(given, fid, kind):
    return given[fid][kind].amount if kind in given.get(fid, {}) else 0


def test_an_asset_serves_one_function():
    funcs = [fn("a", ("laptop", 1, 1)), fn("b", ("laptop", 1, 1)), fn("c", ("laptop", 1, 1))]
    given = allocate(funcs, pool(laptop=2))
    assert sorted(have(given, f, "laptop") for f in "abc") == [0, 1, 1]
    tags = [t for f in "abc" if "laptop" in given[f] for t in given[f]["laptop"].tags()]
    assert len(tags) == len(set(tags)) == 2


def test_shared_functions_count_the_same_equipment():
    funcs = [
        fn("passports", ("pass_ws", 1, 2), shares="pass"),
        fn("licences", ("pass_ws", 1, 2), shares="pass"),
    ]
    given = allocate(funcs, pool(pass_ws=2))
    assert have(given, "passports", "pass_ws") == have(given, "licences", "pass_ws") == 2
    assert given["passports"]["pass_ws"].tags() == given["licences"]["pass_ws"].tags()


def test_scarcity_gives_as_many_functions_as_possible_their_minimum():
    # 3 laptops: the phone line (min 2 laptops) would take two; three one-laptop functions
    # reach their minimum instead, whatever the plan order.
    funcs = [
        fn("phone", ("laptop", 2, 2)),
        fn("mail", ("laptop", 1, 1)),
        fn("post", ("laptop", 1, 1)),
        fn("civil", ("laptop", 1, 1)),
    ]
    given = allocate(funcs, pool(laptop=3))
    assert [have(given, f, "laptop") for f in ("phone", "mail", "post", "civil")] == [0, 1, 1, 1]


def test_minimums_before_targets():
    funcs = [fn("a", ("laptop", 1, 3)), fn("b", ("laptop", 1, 1))]
    given = allocate(funcs, pool(laptop=2))
    assert (have(given, "a", "laptop"), have(given, "b", "laptop")) == (1, 1)


def test_leftovers_top_up_a_function_below_its_minimum():
    funcs = [fn("phone", ("laptop", 1, 2), ("headset", 2, 2))]
    given = allocate(funcs, pool(laptop=1, headset=1))
    assert (have(given, "phone", "laptop"), have(given, "phone", "headset")) == (1, 1)


def test_departments():
    funcs = [fn("weddings", ("printer", 1, 1)), fn("loans", ("printer", 1, 1), area="Biblioteket")]
    library_only = pool(printer=[("Biblioteket", "", 1)])
    given = allocate(funcs, library_only)
    assert have(given, "weddings", "printer") == 0
    assert have(given, "loans", "printer") == 1
    accepting = [fn("weddings", ("printer", 1, 1), accepts=["Biblioteket"])]
    assert have(allocate(accepting, pool(printer=[("Biblioteket", "", 1)])), "weddings", "printer")
    # No department known (an old inventory): counts for any function.
    assert have(allocate(funcs[:1], pool(printer=[("", "", 1)])), "weddings", "printer") == 1


def test_stock_counts_quantity():
    funcs = [fn("mitid", ("mitid_ws", 1, 1), ("displays", 10, 25))]
    p = pool(mitid_ws=1)
    p["displays"] = [Bucket("displays", "Borgerservice", "", 12, ("BOX-1",), stock=True)]
    given = allocate(funcs, p)
    assert have(given, "mitid", "displays") == 12
    assert given["mitid"]["displays"].tags() == ["BOX-1"]


def test_home_seats_need_laptop_and_headset_in_one_pair_of_hands():
    funcs = [fn("phone", ("laptop", 1, 2), ("headset", 1, 2)), fn("mail", ("laptop", 1, 1))]
    p = pool(
        laptop=[("Borgerservice", "mette", 1), ("Borgerservice", "jonas", 1)],
        headset=[("Borgerservice", "jonas", 1), ("Borgerservice", "karin", 1)],
    )
    given = allocate(funcs, p, homes=True)
    # One seat (Jonas holds both); Mette's laptop serves digital mail; Karin's headset alone
    # is no seat.
    assert have(given, "phone", "laptop") == have(given, "phone", "headset") == 1
    assert given["phone"]["laptop"].tags() == ["laptop-Bjonas-0"]
    assert given["mail"]["laptop"].tags() == ["laptop-Bmette-0"]
    # Equipment at a home workplace that nobody holds counts for nothing.
    unheld = pool(laptop=[("Borgerservice", "", 3)])
    assert have(allocate([fn("mail", ("laptop", 1, 1))], unheld, homes=True), "mail", "laptop") == 0


def test_deterministic():
    funcs = [fn(f"f{i}", ("laptop", 1, 2)) for i in range(5)]
    runs = {
        tuple(
            tuple(allocate(funcs, pool(laptop=7)).get(f.id, {}).get("laptop").tags()) for f in funcs
        )
        for _ in range(5)
    }
    assert len(runs) == 1


def test_a_function_that_accepts_more_leaves_the_others_their_own():
    flex = fn("flex", ("laptop", 1, 1), accepts=["Biblioteket"])
    loans = fn("loans", ("laptop", 1, 1), area="Biblioteket")
    p = pool(laptop=[("Biblioteket", "", 1), ("Borgerservice", "", 1)])
    given = allocate([flex, loans], p)
    assert (have(given, "flex", "laptop"), have(given, "loans", "laptop")) == (1, 1)
    assert (
        given["flex"]["laptop"].tags() == ["laptop-B-0"]
        and given["flex"]["laptop"].parts[0][0].department == "Borgerservice"
    )
