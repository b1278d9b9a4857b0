"""Pure rules of carrying a plan over: a budget shared out by the source's shares, exactly,
and shares shown as percentages."""

from collections import defaultdict
from collections.abc import Sequence
from decimal import ROUND_DOWN, ROUND_HALF_EVEN, Decimal, localcontext

CENT = Decimal("0.01")


def share_out(
    amounts: Sequence[Decimal], categories: Sequence[str], total: Decimal
) -> list[Decimal]:
    """`total` split among the lines in proportion to `amounts`, to the cent.

    Each line is rounded down; what rounding left over (a few cents at most) goes to the
    largest line of the largest category, so the lines add up to `total` exactly and no
    line can turn negative. The same total as the source's gives back the source's amounts.
    """
    assert len(amounts) == len(categories)
    reference = sum(amounts, Decimal(0))
    if not amounts:
        return []
    assert reference > 0, "nothing to share the total by"
    with localcontext() as context:
        context.prec = 50  # amounts have 14 digits: the proportions stay exact enough
        shared = [
            (total * amount / reference).quantize(CENT, rounding=ROUND_DOWN) for amount in amounts
        ]
    remainder = total - sum(shared, Decimal(0))
    if remainder:
        by_category: dict[str, Decimal] = defaultdict(Decimal)
        for amount, category in zip(amounts, categories, strict=True):
            by_category[category] += amount
        # Ties: the first category and line in the plan's order.
        largest = max(by_category, key=lambda c: (by_category[c], -categories.index(c)))
        index = max(
            (i for i, c in enumerate(categories) if c == largest),
            key=lambda i: (amounts[i], -i),
        )
        shared[index] += remainder
    return shared


def percent(part: Decimal, whole: Decimal) -> Decimal | None:
    """part / whole x 100 to 2 decimals; None when the whole is nothing."""
    if whole == 0:
        return None
    return (part / whole * 100).quantize(CENT, rounding=ROUND_HALF_EVEN)
