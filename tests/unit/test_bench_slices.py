"""bench.suite: a measurement taken in slices (the gateway and bare Flask in turn) adds up as one."""
from bench.suite import combined


def test_slices_add_up_to_one_measurement():
    parts = [{"requests": 100, "seconds": 2.0, "p50_ms": 3.0, "p99_ms": 9.0, "socket_errors": 0, "non2xx": 0},
             {"requests": 300, "seconds": 2.0, "p50_ms": 1.0, "p99_ms": 4.0, "socket_errors": 1, "non2xx": 2,
              "first_status": 503, "first_body": "busy"},
             {"requests": 200, "seconds": 2.0, "p50_ms": 2.0, "p99_ms": 5.0, "socket_errors": 0, "non2xx": 0}]
    figures = combined(parts, connections=8, duration=6)
    assert figures["rps"] == 600 / 6.0  # over all slices, not the mean of their rates
    assert (figures["p50_ms"], figures["p99_ms"]) == (2.0, 5.0)  # the median slice's
    assert (figures["socket_errors"], figures["non2xx"], figures["first_status"]) == (1, 2, 503)
    assert (figures["requests"], figures["connections"], figures["slices"]) == (600, 8, 3)


def test_no_answer_in_any_slice_is_not_a_figure():
    parts = [{"requests": 0, "seconds": 2.0, "p50_ms": 0.0, "p99_ms": 0.0}] * 2
    assert "na" in combined(parts, connections=8, duration=4)
