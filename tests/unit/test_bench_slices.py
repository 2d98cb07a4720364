"""bench.suite: a measurement taken in slices (the gateway and bare Flask in turn) adds up as one;
W4's walk changes a state on every request."""
import json

from bench.suite import combined, scaling_cost, state_change_lines


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


def test_w4_changes_each_users_state_on_every_request_of_its_walk():
    lines = state_change_lines(["/u/1", "/u/2", "/u/3"])
    assert [(path, json.loads(body)["Operations"][0]["value"]["active"]) for _, path, body in lines] == [
        ("/u/1", False), ("/u/2", False), ("/u/3", False), ("/u/1", True), ("/u/2", True), ("/u/3", True)]
    assert {method for method, _, _ in lines} == {"PATCH"}


def test_the_cost_at_n_is_taken_against_bare_flask_when_both_sizes_measured_it():
    first = {"rps": 1000.0, "p50_ms": 8.0}
    first_bare = {"rps": 4000.0, "p50_ms": 2.0}
    # the machine is a third slower at N: the gateway and bare Flask alike
    figures = {"rps": 750.0, "p50_ms": 10.0}
    bare = {"rps": 3000.0, "p50_ms": 2.5}
    cost, note = scaling_cost(figures, bare, first, first_bare)
    assert cost == 1.0 and "bare" in note
    # the gateway alone slower at N
    cost, _ = scaling_cost({"rps": 500.0, "p50_ms": 20.0}, bare, first, first_bare)
    assert cost == 2.0
    # without bare Flask at both sizes, the raw figures
    assert scaling_cost(figures, {}, first, first_bare) == (1000.0 / 750.0, "")
