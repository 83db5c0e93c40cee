"""End-to-end pipelines (data -> train -> evaluate -> predict -> save/load); added by the task issues."""
