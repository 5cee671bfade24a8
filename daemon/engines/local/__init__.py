"""The local engine: prompt → EditPlan → one ffmpeg pass. Free, offline, private."""
