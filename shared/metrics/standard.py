"""The dictionary every workspace starts with (the brief's metrics and their definitions).

The same list is written into the migration that added the dictionary, for workspaces
that existed before it; change both together.
"""

from typing import Any

STANDARD_METRICS: list[dict[str, Any]] = [
    {
        "key": "impressions",
        "name": "Impressions",
        "unit": "count",
        "aggregation": "sum",
        "description": "Times content or an ad was shown.",
    },
    {
        "key": "clicks",
        "name": "Clicks",
        "unit": "count",
        "aggregation": "sum",
        "description": "Clicks on content or ads leading towards the campaign.",
    },
    {
        "key": "conversions",
        "name": "Conversions",
        "unit": "count",
        "aggregation": "sum",
        "description": "Buyers: clickers who completed a purchase.",
    },
    {
        "key": "orders",
        "name": "Orders",
        "unit": "count",
        "aggregation": "sum",
        "description": "Orders placed through the campaign.",
    },
    {
        "key": "new_users",
        "name": "New users",
        "unit": "count",
        "aggregation": "sum",
        "description": "Registered through the campaign channel AND completed a first order.",
    },
    {
        "key": "gmv",
        "name": "GMV",
        "unit": "currency",
        "aggregation": "sum",
        "description": "Gross merchandise value of orders in the campaign period.",
    },
    {
        "key": "revenue",
        "name": "Revenue",
        "unit": "currency",
        "aggregation": "sum",
        "description": "Revenue attributed to the campaign.",
    },
    {
        "key": "spend",
        "name": "Spend",
        "unit": "currency",
        "aggregation": "sum",
        "description": "Money spent on the channel (media, fees).",
    },
    {
        "key": "negative_comments",
        "name": "Negative comments",
        "unit": "count",
        "aggregation": "sum",
        "description": "Comments classified negative.",
    },
    {
        "key": "search_volume",
        "name": "Brand keyword search volume",
        "unit": "count",
        "aggregation": "sum",
        "description": "Searches for the brand keywords.",
    },
    {
        "key": "visitors",
        "name": "Visitors",
        "unit": "count",
        "aggregation": "sum",
        "description": "Foot traffic or site visitors.",
    },
    {
        "key": "ctr",
        "name": "Click-through rate",
        "unit": "ratio",
        "aggregation": "average",
        "formula": "clicks / impressions",
        "description": "Clicks per impression.",
    },
    {
        "key": "conversion_rate",
        "name": "Conversion rate",
        "unit": "ratio",
        "aggregation": "average",
        "formula": "conversions / clicks",
        "description": "Buyers / clickers.",
    },
    {
        "key": "roi",
        "name": "ROI",
        "unit": "ratio",
        "aggregation": "average",
        "formula": "revenue / spend",
        "description": "Revenue per unit of spend.",
    },
    {
        "key": "cpa",
        "name": "Cost per acquisition",
        "unit": "currency",
        "aggregation": "average",
        "formula": "spend / conversions",
        "description": "Spend per conversion.",
    },
    {
        "key": "aov",
        "name": "Average order value",
        "unit": "currency",
        "aggregation": "average",
        "formula": "gmv / orders",
        "description": "GMV per order.",
    },
]
