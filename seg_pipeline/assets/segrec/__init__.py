"""SegRec assets (UI group "segrec"): effective_views -> segrec_interest_scores -> segrec_report.

The logic lives in seg_pipeline.segrec; these modules read config, call it, write, report metadata.
"""
