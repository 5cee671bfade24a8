"""ffmpeg's stderr → the cause: real ffmpeg 9 outputs, captured from the failures users see."""

from __future__ import annotations

from daemon.media.ffmpeg_errors import HEAD_LINES, TAIL_LINES, ErrorLog, cause

# `-c:v h264_nvenc` on a machine without the NVIDIA driver (ffmpeg 9.0, threaded pipeline).
NVENC_WITHOUT_DRIVER = """\
[h264_nvenc @ 0x55ea11bf6d00] Cannot load libcuda.so.1
[vost#0:0/h264_nvenc @ 0x55ea11bf6180] [enc:h264_nvenc @ 0x55ea11bf6bc0] Error while opening \
encoder - maybe incorrect parameters such as bit_rate, rate, width or height.
[vf#0:0 @ 0x55ea11c11f00] Error sending frames to consumers: Operation not permitted
[vf#0:0 @ 0x55ea11c11f00] Task finished with error code: -1 (Operation not permitted)
[vf#0:0 @ 0x55ea11c11f00] Terminating thread with return code -1 (Operation not permitted)
[vost#0:0/h264_nvenc @ 0x55ea11bf6180] [enc:h264_nvenc @ 0x55ea11bf6bc0] Could not open encoder \
before EOF
[vost#0:0/h264_nvenc @ 0x55ea11bf6180] Task finished with error code: -22 (Invalid argument)
[vost#0:0/h264_nvenc @ 0x55ea11bf6180] Terminating thread with return code -22 (Invalid argument)
[out#0/null @ 0x55ea11bf55c0] Nothing was written into output file, because at least one of \
its streams received no packets.
""".splitlines()

# The same on the H200 of a device check (driver 580; the bundled ffmpeg 9.0 wants 610).
NVENC_OLD_DRIVER = """\
[h264_nvenc @ 0x557c420843c0] Driver does not support the required nvenc API version. \
Required: 13.1 Found: 13.0
[h264_nvenc @ 0x557c420843c0] The minimum required Nvidia driver for nvenc is 610.00 or newer
[vost#0:0/h264_nvenc @ 0x557c42083f00] [enc:h264_nvenc @ 0x557c42084340] Error while opening \
encoder - maybe incorrect parameters such as bit_rate, rate, width or height.
[vf#0:0 @ 0x557c4209f680] Error sending frames to consumers: Function not implemented
[vf#0:0 @ 0x557c4209f680] Task finished with error code: -38 (Function not implemented)
[out#0/null @ 0x557c42083b80] Nothing was written into output file, because at least one of \
its streams received no packets.
""".splitlines()

TRUNCATED_MP4 = """\
[in#0 @ 0x563c8feaf040] moov atom not found
[in#0 @ 0x563c8feaed00] Error opening input: Invalid data found when processing input
Error opening input file /tmp/trunc.mp4.
Error opening input files: Invalid data found when processing input
""".splitlines()

BAD_FILTER_OPTION = """\
[Parsed_zscale_0 @ 0x55e8658a1280] [Eval @ 0x7ffc47f4fe60] Undefined constant or missing '(' \
in 'unknownx'
[Parsed_zscale_0 @ 0x55e8658a1280] Unable to parse "tin" option value "unknownx"
""".splitlines()


def test_the_cause_is_the_first_line_not_the_teardown_after_it() -> None:
    assert cause(NVENC_WITHOUT_DRIVER) == "[h264_nvenc] Cannot load libcuda.so.1"
    assert cause(NVENC_OLD_DRIVER) == (
        "[h264_nvenc] Driver does not support the required nvenc API version. Required: 13.1 "
        "Found: 13.0 | [h264_nvenc] The minimum required Nvidia driver for nvenc is 610.00 "
        "or newer"
    )
    assert cause(NVENC_OLD_DRIVER, limit=1).endswith("Required: 13.1 Found: 13.0")


def test_a_generic_guess_is_kept_only_when_nothing_specific_was_said() -> None:
    generic = NVENC_WITHOUT_DRIVER[1]
    assert cause([generic, *NVENC_WITHOUT_DRIVER[2:]]).startswith(
        "[vost#0:0/h264_nvenc] [enc:h264_nvenc] Error while opening encoder - maybe"
    )


def test_addresses_are_taken_out_and_up_to_three_lines_kept() -> None:
    assert cause(TRUNCATED_MP4) == (
        "[in#0] moov atom not found | [in#0] Error opening input: Invalid data found when "
        "processing input | Error opening input file /tmp/trunc.mp4."
    )
    assert "0x" not in cause(BAD_FILTER_OPTION)
    assert cause(BAD_FILTER_OPTION).startswith("[Parsed_zscale_0] [Eval] Undefined constant")


def test_repeated_lines_are_said_once() -> None:
    flood = ["[h264 @ 0x1] error while decoding MB 0 2", "[h264 @ 0x2] error while decoding MB 0 2"]
    assert cause([*flood, "[out#0 @ 0x3] Conversion failed!"]) == (
        "[h264] error while decoding MB 0 2 | [out#0] Conversion failed!"
    )


def test_only_teardown_gives_the_last_line_and_nothing_gives_nothing() -> None:
    teardown = NVENC_WITHOUT_DRIVER[3:]
    assert cause(teardown).startswith("[out#0/null] Nothing was written into output file")
    assert cause(["", "  "]) == ""


def test_the_log_keeps_the_start_and_the_end_of_a_flood() -> None:
    log = ErrorLog()
    for i in range(10_000):
        log.add(f"line {i}\n")
    log.add("   ")
    kept = log.lines()
    assert len(kept) == HEAD_LINES + TAIL_LINES
    assert kept[0] == "line 0" and kept[-1] == "line 9999"
    assert kept[HEAD_LINES] == f"line {10_000 - TAIL_LINES}"
