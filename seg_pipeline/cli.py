"""`seg-pipeline`: ask a trained segment-interest model about one (user, video) pair.

    seg-pipeline score         --user U --video V [--model champion|latest | --run-id R | --checkpoint PATH]
                               [--modality M] [--json]
    seg-pipeline thumbnail     --user U --video V --out FILE.jpg
    seg-pipeline suggest-edits --user U --video V [--low-quantile Q] [--margin X] [--min-segments K]

Problems the user can fix (unknown video, no trained model, missing or busy warehouse...) end
with exit status 1 and one line on stderr naming the problem and the fix; bad arguments exit 2.
"""
from __future__ import annotations

import argparse
import json
import sys
from typing import Optional, Sequence

from seg_pipeline.apply.edits import EditRule
from seg_pipeline.apply.errors import ApplyError
from seg_pipeline.contract import MODALITIES, SEGMENT_SECONDS
from seg_pipeline.devices import DEVICES_HELP
from seg_pipeline.errors import ConfigError, WarehouseBusyError
from seg_pipeline.paths import DataLayout, resolve_home
from seg_pipeline.progress import spinner


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--user", required=True, help="user id as in the log")
    parser.add_argument("--video", required=True, help="video id (file name stem)")
    parser.add_argument("--home", default=None, help="data root (default: $SEG_PIPELINE_HOME, else ./.seg_pipeline)")
    which = parser.add_mutually_exclusive_group()
    which.add_argument("--model", default="champion", choices=["champion", "latest"],
                       help="champion: models:/segment_interest_<modality>@champion from the MLflow model registry "
                            "(the version with the best valid NDCG@5); latest: the most recent training run "
                            "(default: champion, else latest)")
    which.add_argument("--run-id", default=None, help="MLflow run id of a trained model")
    which.add_argument("--checkpoint", default=None, help="a checkpoint file written by segment_interest_model")
    parser.add_argument("--modality", default="auto", choices=["auto", *MODALITIES],
                        help="which trained model (auto: both, else visual, else id)")
    parser.add_argument("--before-ms", type=int, default=None,
                        help="history = the user's views strictly before this time_ms, as many as user_histories "
                             "keeps (default: after every logged view); a logged view's own time_ms reproduces "
                             "the inputs it was scored with")
    parser.add_argument("--require-known-user", action="store_true",
                        help="fail for a user without logged views instead of the history-free fallback")
    parser.add_argument("--device", default="auto", help=DEVICES_HELP + " (default: auto)")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="seg-pipeline", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    score = commands.add_parser("score", help="per-segment interest, predicted skip segment, expected watch time")
    _common(score)
    thumb = commands.add_parser("thumbnail", help="the frame of the highest-interest segment as JPEG/PNG")
    _common(thumb)
    thumb.add_argument("--out", required=True, help="output image (.jpg, .jpeg or .png)")
    edits = commands.add_parser("suggest-edits", help="contiguous low-interest spans to cut")
    _common(edits)
    defaults = EditRule()
    edits.add_argument("--low-quantile", type=float, default=defaults.low_quantile,
                       help="a segment is low when its score <= this quantile of the video's scores "
                            "(default %(default)s)")
    edits.add_argument("--margin", type=float, default=defaults.margin,
                       help="... and < the video's median score minus this margin (default %(default)s)")
    edits.add_argument("--min-segments", type=int, default=defaults.min_segments,
                       help=f"shortest span to suggest, in {SEGMENT_SECONDS:g}-s segments (default %(default)s)")
    return parser


def _score(args):
    from seg_pipeline.apply.scoring import warehouse_or_error

    layout = DataLayout(resolve_home(args.home))
    warehouse_or_error(layout)  # before torch is imported: the common mistake fails fast
    with spinner("loading the model and scoring"):
        from seg_pipeline.apply.models import LATEST
        from seg_pipeline.apply.scoring import score_pair
        from seg_pipeline.devices import resolve_device

        run_id = args.run_id or (LATEST if args.model == "latest" and not args.checkpoint else None)
        return score_pair(layout, args.user, args.video, before_ms=args.before_ms, modality=args.modality,
                          run_id=run_id, checkpoint=args.checkpoint,
                          device=resolve_device(args.device, "--device"), require_known_user=args.require_known_user)


def _header(result) -> list[str]:
    when = ("every logged view" if result.before_ms is None else f"views before time_ms {result.before_ms}")
    lines = [
        f"user {result.user_id} x video {result.video_id}: {result.n_segments} segments, {result.video.duration_s:.1f} s",
        f"model: {result.modality} ({result.model_source}; checkpoint {result.checkpoint})",
        f"history: {result.context.history_views} past views, {result.context.history_tokens} segment tokens "
        f"(from {when})" + ("  [history-free fallback]" if result.context.history_free else ""),
    ]
    return lines + [f"note: {note}" for note in result.notes] + [f"caveat: {c}" for c in result.caveats]


def format_score(result) -> str:
    """interest ranks segments for thumbnails and edits; the skip score (lower = likelier to leave
    there) ranks the leave slots, end slot included, for the skip prediction."""
    lines = _header(result) + ["", f"{'segment':>7}  {'start_s':>7}  {'end_s':>6}  {'interest':>9}  "
                                   f"{'skip_score':>10}  {'P(leave)':>8}"]
    for i, (start, end) in enumerate(result.segment_bounds()):
        mark = "  <- predicted skip" if i == result.predicted_skip_slot else ""
        lines.append(f"{i:>7}  {start:>7.1f}  {end:>6.1f}  {result.interest[i]:>9.4f}  "
                     f"{result.skip_scores[i]:>10.4f}  {result.leave_probability[i]:>8.3f}{mark}")
    n = result.n_segments
    mark = "  <- predicted: watches to the end" if result.predicts_full_watch else ""
    lines.append(f"{'end':>7}  {result.video.duration_s:>7.1f}  {'':>6}  {'':>9}  {result.end_slot_score:>10.4f}  "
                 f"{result.leave_probability[n]:>8.3f}{mark}")
    if result.predicts_full_watch:
        lines.append("predicted skip: none (the end slot has the lowest skip score: a full watch)")
    else:
        start, end = result.segment_bounds()[result.predicted_skip_slot]
        lines.append(f"predicted skip: segment {result.predicted_skip_slot} ({start:.1f}-{end:.1f} s)")
    lines.append(f"expected watch time: {result.expected_watch_time_s:.2f} s of {result.video.duration_s:.1f} s")
    return "\n".join(lines)


def cmd_score(args) -> str:
    result = _score(args)
    return json.dumps(result.to_dict(), indent=2) if args.json else format_score(result)


def cmd_thumbnail(args) -> str:
    from seg_pipeline.apply.thumbnails import choose_frame, image_format, write_thumbnail

    image_format(args.out)  # a bad file name fails before any scoring
    result = _score(args)
    if not result.video.has_file:
        raise ApplyError(f"video '{result.video_id}' has no readable file in the warehouse's videos table",
                         "thumbnails need the video files: run the pipeline with video_source pointing at them")
    choice = choose_frame(result.interest, result.video.duration_ms, result.video.fps, result.video.n_frames)
    path = write_thumbnail(result.video.path, choice.frame_index, args.out, result.video.decoder or "decord")
    start, end = result.segment_bounds()[choice.segment_idx]
    info = {"path": str(path), "segment_idx": choice.segment_idx, "start_s": start, "end_s": end,
            "frame_index": choice.frame_index, "time_s": choice.time_s, "score": choice.score}
    if args.json:
        return json.dumps({**result.to_dict(), "thumbnail": info}, indent=2)
    return "\n".join(_header(result) + [
        f"wrote {path}: segment {choice.segment_idx} ({start:.1f}-{end:.1f} s, interest {choice.score:.4f}), "
        f"frame {choice.frame_index} at {choice.time_s:.2f} s"])


def cmd_suggest_edits(args) -> str:
    from seg_pipeline.apply.edits import low_interest_spans

    rule = EditRule(args.low_quantile, args.margin, args.min_segments).validate("--")
    result = _score(args)
    spans = low_interest_spans(result.interest, result.video.duration_s, rule,
                               result.leave_probability[: result.n_segments])
    if args.json:
        return json.dumps({**result.to_dict(), "rule": rule.params(), "spans": [s.to_dict() for s in spans]},
                          indent=2)
    lines = _header(result) + [
        f"rule: score <= the {rule.low_quantile:g} quantile of this video's segment scores and < median - "
        f"{rule.margin:g}; spans of >= {rule.min_segments} segment(s)"]
    if not spans:
        lines.append("no low-interest span: nothing to suggest")
    for span in spans:
        lines.append(f"cut {span.start_s:.1f}-{span.end_s:.1f} s (segments {span.first_segment}-{span.last_segment}, "
                     f"{span.seconds:.1f} s): mean interest {span.mean_score:.4f}, "
                     f"{100 * span.leave_probability:.1f}% of predicted leaves")
    return "\n".join(lines)


COMMANDS = {"score": cmd_score, "thumbnail": cmd_thumbnail, "suggest-edits": cmd_suggest_edits}


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        print(COMMANDS[args.command](args))
    except (ApplyError, ConfigError, WarehouseBusyError) as exc:
        message = " ".join(str(exc).split())  # always one line
        print(f"seg-pipeline {args.command}: error: {message}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
