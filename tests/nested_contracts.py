"""Nested contracts shaped like the GA4 BigQuery export and the Amplitude Export API, for tests of the contract
model; the real ones arrive with their pipelines (contracts/ga4.py, contracts/amplitude.py)."""

from __future__ import annotations

from contracts.schema import Field, TableContract
from contracts.types import JsonObject, ListOf, Struct

PARAM_VALUE = Struct(
    (
        Field("string_value", "varchar", "Set when the parameter is a string.", required=False),
        Field("int_value", "bigint", "Set when the parameter is an integer.", required=False),
        Field("float_value", "double", "Set when the parameter is a float (unused by GA4 web).", required=False),
        Field("double_value", "double", "Set when the parameter is a double.", required=False),
    )
)

GA4_EVENTS = TableContract(
    source="ga4",
    name="events",
    description="One row per event, as in the daily `events_YYYYMMDD` table.",
    primary_key=("user_pseudo_id", "event_timestamp", "event_name"),
    version_field="event_timestamp",
    fields=(
        Field("event_date", "varchar", "The event's date in the property's time zone, YYYYMMDD."),
        Field("event_timestamp", "bigint", "When the event was logged, in microseconds since the epoch (UTC)."),
        Field("event_name", "varchar", "The event's name, e.g. page_view or purchase."),
        Field("user_pseudo_id", "varchar", "The pseudonymous id of the browser or app instance."),
        Field(
            "event_params",
            ListOf(
                Struct((Field("key", "varchar", "The parameter's name."), Field("value", PARAM_VALUE, "Its value.")))
            ),
            "The event's parameters.",
        ),
        Field(
            "items",
            ListOf(
                Struct(
                    (
                        Field("item_id", "varchar", "The product's id."),
                        Field("price", "double", "Unit price.", required=False),
                        Field("quantity", "bigint", "Units.", required=False),
                    )
                )
            ),
            "The e-commerce items of the event.",
            required=False,
        ),
    ),
)

AMPLITUDE_EVENTS = TableContract(
    source="amplitude",
    name="events",
    description="One row per event of the hourly Export API files.",
    primary_key=("$insert_id",),
    version_field="server_upload_time",
    fields=(
        Field("$insert_id", "varchar", "The sender's id of the event: Amplitude deduplicates by it."),
        Field("event_type", "varchar", "The event's name."),
        Field("amplitude_id", "bigint", "Amplitude's id of the user."),
        Field("server_upload_time", "varchar", "When Amplitude received the event (UTC)."),
        Field("event_properties", JsonObject(), "The event's free-form properties."),
        Field("groups", ListOf("varchar"), "The account groups of the user.", required=False),
    ),
)
