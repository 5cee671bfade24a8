"""Every fixed fact about the NemoVideo API in one place: paths, headers, codes, limits."""

from __future__ import annotations

from typing import Final

# Attribution headers: the service refuses exports (HTTP 402) without them.
SKILL_SOURCE: Final = "for-video-free"
SKILL_VERSION: Final = "1.0.0"

APP_NAME: Final = "nemo_agent"
USER_ID: Final = "me"
TASK_NAME: Final = "project"

TOKEN_ENV: Final = "NEMO_TOKEN"  # noqa: S105 - a variable name, not a secret
TOKEN_FILE: Final = "nemo-token"  # noqa: S105 - a file name
CLIENT_ID_FILE: Final = "nemo-client-id"
SECRET_FILE_MODE: Final = 0o600

# API paths, relative to nemo.api_base.
ANONYMOUS_TOKEN_PATH: Final = "/api/auth/anonymous-token"  # noqa: S105 - a path
CLAIM_TOKEN_PATH: Final = "/api/auth/claim-token"  # noqa: S105 - a path
SESSION_PATH: Final = f"/api/tasks/{USER_ID}/with-session/{APP_NAME}"
UPLOAD_PATH: Final = f"/api/upload-video/{APP_NAME}/{USER_ID}/{{session_id}}"
RUN_SSE_PATH: Final = "/run_sse"
STATE_PATH: Final = f"/api/state/{APP_NAME}/{USER_ID}/{{session_id}}/latest"
RENDER_PATH: Final = "/api/render/proxy/lambda"
RENDER_STATUS_PATH: Final = "/api/render/proxy/lambda/{render_id}"
RENDER_DOWNLOAD_PATH: Final = "/api/render/proxy/{render_id}/download"
CREDITS_PATH: Final = "/api/credits/balance/simple"

CLAIM_URL: Final = "https://nemovideo.com/workspace/claim?ct={claim_token}"
REGISTER_URL: Final = "https://nemovideo.com"
# An anonymous user out of credits registers here; `bind` carries the anonymous user's id
# so the new account keeps this user's sessions.
REGISTER_BIND_URL: Final = "https://nemovideo.com/?bind={bind_id}"

# Envelope error codes.
CODE_OK: Final = 0
CODE_TOKEN_EXPIRED: Final = 1001
CODE_SESSION_GONE: Final = 1002
CODE_OUT_OF_CREDITS: Final = 2001
CODE_UNSUPPORTED_FILE: Final = 4001
CODE_FILE_TOO_LARGE: Final = 4002

# Upload limits. 500 MB is read as decimal megabytes: the stricter reading never uploads
# a file the service would refuse after minutes of transfer.
MAX_UPLOAD_BYTES: Final = 500_000_000
# Bytes handed to httpx per read while uploading (see client._LargeReads).
UPLOAD_READ_BYTES: Final = 1024 * 1024
# shrink_oversize aims below the limit, leaving room for the container's overhead.
SHRINK_TARGET_BYTES: Final = 450_000_000
ACCEPTED_EXTENSIONS: Final = frozenset(
    {"mp4", "mov", "avi", "webm", "mkv", "jpg", "png", "gif", "webp", "mp3", "wav", "m4a", "aac"}
)
UPLOAD_CONTENT_TYPES: Final = {
    "mp4": "video/mp4",
    "mov": "video/quicktime",
    "avi": "video/x-msvideo",
    "webm": "video/webm",
    "mkv": "video/x-matroska",
    "jpg": "image/jpeg",
    "png": "image/png",
    "gif": "image/gif",
    "webp": "image/webp",
    "mp3": "audio/mpeg",
    "wav": "audio/wav",
    "m4a": "audio/mp4",
    "aac": "audio/aac",
}

RENDER_OUTPUT: Final = {"format": "mp4", "quality": "high"}

# The service's own guidance: "still working" at most every 2 minutes while the agent edits.
HEARTBEAT_LOG_EVERY: Final = 120.0
# Credits are re-checked at most this often while the engine is paused for lack of them.
CREDITS_CHECK_EVERY: Final = 600.0
DOWNLOAD_CHUNK: Final = 1024 * 1024
# The session state is re-read this often while waiting for the edit to show (at most:
# a smaller poll_interval wins), so an edit that lands seconds after the stream is seen
# seconds after, not a render-poll interval later.
STATE_POLL_EVERY: Final = 3.0
# How often a job waiting on the edit stream checks its deadline and the cancel flag:
# both must act within a second even while the server sends nothing.
SSE_CHECK_EVERY: Final = 0.2
# A render that ends `failed` is tried once more under a new id, as the service advises.
RENDER_RETRIES: Final = 1
# Export and download requests are the render call, not edit messages: the service's
# routing never sends them to the agent. Matched case-insensitively in the rule's prompt,
# with what belongs to them ("export this in 1080p", "download the MP4").
EXPORT_PHRASES: Final = (
    r"(?:\b(?:and|then)\s+)?(?:\b(?:export|download|send\s+me)\b|导出|下载)"
    r"(?:\s+(?:it|this|that|the|a|an|my|video|clip|file|result|as|in|to|at|\d{3,4}p|4k|hd|"
    r"full\s+hd|mp4|mov|format|quality|high|for\s+free|free)\b)*"
)
