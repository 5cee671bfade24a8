"""Media tools both engines and the daemon share: probe, ffmpeg discovery, the one ffmpeg runner."""
