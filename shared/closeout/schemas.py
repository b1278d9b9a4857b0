from pydantic import ConfigDict, Field

from shared.campaigns.schemas import ReadinessFinding
from shared.schemas import Instant, ResponseModel


class CloseOutOut(ResponseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "ready": False,
                    "blockers": [
                        {
                            "code": "settlement_not_signed_off",
                            "message": "Management has not signed off the settlement.",
                            "ref": None,
                        }
                    ],
                    "warnings": [
                        {
                            "code": "late_data_window_open",
                            "message": "Late figures are still accepted until "
                            "2024-07-30T16:00:00Z; archiving closes the window and the "
                            "evaluation may miss them.",
                            "ref": None,
                        }
                    ],
                    "late_data_until": "2024-07-30T16:00:00Z",
                }
            ]
        }
    )

    ready: bool = Field(description="No blocker: `POST /archive` will succeed")
    blockers: list[ReadinessFinding] = Field(description="Each one stops the archive (409)")
    warnings: list[ReadinessFinding] = Field(description="Worth a look; they do not stop it")
    late_data_until: Instant | None = Field(
        description="Until when late figures of this completed campaign are still accepted "
        "(archiving closes this window)"
    )
