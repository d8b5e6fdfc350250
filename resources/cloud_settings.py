"""Per-system settings of the cloud lane, each validated from the environment with every problem named.

One pydantic model per external system; a field's alias is the environment variable it reads, its
description says what the value is for (shown when the variable is missing). Secrets are `SecretStr`: a
repr or an error shows `**********`, never the value. Which systems a deployment needs depends on the
pipelines it enables (`PIPELINE_SYSTEMS`); resources/settings.py validates those, all at once.
"""

from __future__ import annotations

from collections.abc import Mapping

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError


class SystemSettings(BaseModel):
    """Settings of one external system, read from environment variables named by the fields' aliases."""

    model_config = ConfigDict(frozen=True, extra="ignore", str_strip_whitespace=True)
    system: str = ""  # the system's name in messages; set by each subclass

    @classmethod
    def from_environment(cls, environ: Mapping[str, str]) -> SystemSettings:
        """The settings found in `environ`; an empty value counts as unset (the field's default applies)."""
        aliases = {f.alias for f in cls.model_fields.values() if f.alias}
        given = {name: value for name, value in environ.items() if name in aliases and value.strip()}
        return cls.model_validate(given)

    @classmethod
    def variables(cls) -> dict[str, str]:
        """Environment variable -> what it is for."""
        return {f.alias: f.description or "" for f in cls.model_fields.values() if f.alias}


class S3Settings(SystemSettings):
    system: str = "S3"
    bucket: str = Field(
        alias="CUMULUS_S3_BUCKET",
        description="S3 bucket the service-DB exports land in (keys shop/<table>/dt=YYYY-MM-DD/...)",
    )
    region: str = Field("ap-northeast-2", alias="AWS_REGION", description="AWS region of the bucket")
    endpoint_url: str | None = Field(
        None, alias="CUMULUS_S3_ENDPOINT_URL", description="S3 endpoint override, e.g. an emulator on 127.0.0.1"
    )


class SnowflakeSettings(SystemSettings):
    system: str = "Snowflake"
    account: str = Field(
        alias="SNOWFLAKE_ACCOUNT", description="Snowflake account identifier (e.g. xy12345.ap-northeast-2.aws)"
    )
    user: str = Field(alias="SNOWFLAKE_USER", description="Snowflake user the pipelines connect as")
    password: SecretStr = Field(alias="SNOWFLAKE_PASSWORD", description="that user's password (secret: never printed)")
    role: str = Field(
        alias="SNOWFLAKE_ROLE", description="role with USAGE on the warehouse and database, CREATE SCHEMA/TABLE/STAGE"
    )
    warehouse: str = Field(alias="SNOWFLAKE_WAREHOUSE", description="virtual warehouse that runs the loads and dbt")
    database: str = Field(
        alias="SNOWFLAKE_DATABASE", description="database holding the RAW, STAGING, MARTS and KPI schemas"
    )
    host: str | None = Field(None, alias="SNOWFLAKE_HOST", description="host override (default: from the account)")
    port: int | None = Field(None, alias="SNOWFLAKE_PORT", description="port override (default 443)", gt=0, lt=65536)
    protocol: str | None = Field(None, alias="SNOWFLAKE_PROTOCOL", description="protocol override (default https)")


class GcpSettings(SystemSettings):
    """Google Cloud: the project, its GCS bucket and BigQuery datasets (the analytics and recsys pipelines)."""

    system: str = "GCP"
    project: str = Field(alias="CUMULUS_GCP_PROJECT", description="GCP project holding the bucket and datasets")
    location: str = Field(
        "asia-northeast3", alias="CUMULUS_GCP_LOCATION", description="BigQuery location (default Seoul)"
    )
    bucket: str = Field(alias="CUMULUS_GCS_BUCKET", description="GCS bucket the Amplitude export files land in")
    analytics_dataset: str = Field(
        "analytics", alias="CUMULUS_BQ_ANALYTICS_DATASET", description="BigQuery dataset of the analytics models"
    )
    ml_dataset: str = Field(
        "ml", alias="CUMULUS_BQ_ML_DATASET", description="BigQuery dataset of the recommender's training set"
    )
    storage_emulator_host: str | None = Field(
        None, alias="STORAGE_EMULATOR_HOST", description="GCS endpoint override, e.g. an emulator on 127.0.0.1"
    )
    bigquery_emulator_host: str | None = Field(
        None, alias="BIGQUERY_EMULATOR_HOST", description="BigQuery endpoint override, e.g. an emulator on 127.0.0.1"
    )


# What each pipeline needs in the cloud lane.
PIPELINE_SYSTEMS: dict[str, tuple[type[SystemSettings], ...]] = {
    "kpi": (S3Settings, SnowflakeSettings),
    "analytics": (GcpSettings,),
    "recsys": (GcpSettings,),
}


def problems(model: type[SystemSettings], error: ValidationError) -> list[str]:
    """One line per problem, naming the environment variable and what it is for; never a value."""
    variables = model.variables()
    lines = []
    for issue in error.errors(include_input=False, include_url=False):
        name = str(issue["loc"][0]) if issue["loc"] else "?"
        if issue["type"] == "missing":
            lines.append(f"  {name} ({model.model_fields['system'].default}): {variables.get(name, '')}")
        else:
            lines.append(f"  {name} ({model.model_fields['system'].default}): {issue['msg']}")
    return lines
