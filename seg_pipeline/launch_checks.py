"""Every config value checked when a run is launched, not when its step starts (issue 11, case 7).

Dagster checks a run config against its schema at launch: types, required fields and Literal
choices. Pydantic constraints (`Field(ge=...)`) and validators are not part of that schema; they run
when the step builds its Config, which may be 35 steps into a run. A job-level ConfigMapping runs
at launch (dagster/_core/system_config/objects.py, ResolvedRunConfig.build), so the job gets one
whose outer schema is the job's own (the Launchpad looks the same) and whose function builds every
configured asset's Config and every configured resource once: any range or validator error stops the
launch, naming the field. The run config passes through unchanged.
"""
from __future__ import annotations

from typing import Any, Iterable, Mapping

import pydantic
from dagster import ConfigMapping, Definitions, DagsterInvalidConfigError, define_asset_job


def config_classes(assets: Iterable[Any]) -> dict[str, type]:
    """op name -> the pydantic Config class of each asset that takes a `config` argument."""
    classes = {}
    for asset in assets:
        fn = asset.op.compute_fn
        if hasattr(fn, "has_config_arg") and fn.has_config_arg():
            classes[asset.op.name] = fn.get_config_arg().annotation
    return classes


def _uses_env(values: Mapping[str, Any]) -> bool:
    """A value given as {env: NAME} is resolved in the run: leave that resource to its step."""
    return any(isinstance(v, Mapping) and set(v) == {"env"} for v in values.values())


def _describe(where: str, exc: Exception) -> list[str]:
    if isinstance(exc, pydantic.ValidationError):
        out = []
        for error in exc.errors():
            field = ".".join([where, *(str(p) for p in error["loc"])])
            out.append(f"{field}: {error['msg']} (got {error.get('input')!r})")
        return out
    return [f"{where}: {exc}"]


def launch_problems(run_config: Mapping[str, Any], op_classes: Mapping[str, type],
                    resource_classes: Mapping[str, type]) -> list[str]:
    """Every config problem a step would find, found now: one line per field."""
    problems: list[str] = []
    for op, section in (run_config.get("ops") or {}).items():
        values = (section or {}).get("config")
        if op in op_classes and isinstance(values, Mapping):
            try:
                op_classes[op](**values)
            except (pydantic.ValidationError, ValueError) as exc:
                problems += _describe(f"ops.{op}.config", exc)
    for key, section in (run_config.get("resources") or {}).items():
        values = (section or {}).get("config")
        if key in resource_classes and isinstance(values, Mapping) and not _uses_env(values):
            try:
                resource_classes[key](**values)
            except (pydantic.ValidationError, ValueError) as exc:
                problems += _describe(f"resources.{key}.config", exc)
    return problems


def checked_at_launch(name: str, assets: list, checks: list, resources: Mapping[str, Any], **job_args):
    """`define_asset_job(name, **job_args)` whose run config is fully validated when it is launched."""
    plain = define_asset_job(name, **job_args)
    schema = (Definitions(assets=assets, asset_checks=checks, jobs=[plain], resources=resources)
              .resolve_job_def(name).run_config_schema.run_config_schema_type)
    op_classes = config_classes(assets)
    resource_classes = {key: type(resource) for key, resource in resources.items()
                        if isinstance(resource, pydantic.BaseModel)}

    def validate(run_config: Mapping[str, Any]) -> Mapping[str, Any]:
        problems = launch_problems(run_config, op_classes, resource_classes)
        if problems:
            raise DagsterInvalidConfigError(
                f"Error in config for job {name} (checked at launch; no step has run):\n    "
                + "\n    ".join(problems), [], run_config)
        return run_config

    mapping = ConfigMapping(config_fn=validate, config_schema=schema, receive_processed_config_values=False)
    return define_asset_job(name, config=mapping, **job_args)
