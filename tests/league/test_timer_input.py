"""Lap-sensor crossings become session-timer laps: sensor clocks, double triggers, order, wire formats."""

import pytest

from league.timer_input import (Crossing, SensorClock, TimerInputError, apply_event, parse_event,
                                parse_serial_line)
from league.timing import ENDED, LAST_LAP, RUNNING, SessionTimer


def test_sensor_times_become_laps_whatever_the_clock_offset_and_the_delay():
    timer, clock = SessionTimer(length_s=240, min_lap_s=2.0), SensorClock()
    # The sensor's clock reads 5000 s when ours reads 100 s; each crossing arrives 0-80 ms late.
    sensor = [5000.0, 5012.345, 5024.000, 5036.789]
    arrival = [100.0, 112.395, 124.010, 136.869]
    outcomes = [apply_event(timer, Crossing(t), now, clock) for t, now in zip(sensor, arrival)]
    assert [o.action for o in outcomes] == ["start", "lap", "lap", "lap"]
    # Laps are the sensor's differences: the network's jitter does not reach them.
    assert [round(lap.time_s, 3) for lap in timer.laps] == [12.345, 11.655, 12.789]
    assert outcomes[1].delay_s == pytest.approx(0.05) and timer.state == RUNNING


def test_a_crossing_that_travelled_faster_than_the_first_lowers_the_offset_instead_of_landing_in_the_future():
    clock = SensorClock()
    assert clock.to_caller(10.0, 1000.3) == pytest.approx(1000.3)  # first: 0.3 s delay, taken as 0
    assert clock.to_caller(20.0, 1010.1) == pytest.approx(1010.1)  # arrived sooner: the offset drops
    assert clock.offset == pytest.approx(990.1)
    assert clock.to_caller(30.0, 1020.5) == pytest.approx(1020.1)  # later ones use the smallest delay


def test_a_double_trigger_is_refused_and_changes_nothing():
    timer, clock = SessionTimer(min_lap_s=3.0), SensorClock()
    apply_event(timer, Crossing(0.0), 50.0, clock)
    apply_event(timer, Crossing(10.0), 60.0, clock)
    bounce = apply_event(timer, Crossing(10.4), 60.4, clock)  # the same car, the second sensor beam
    assert bounce.action == "refused" and "double trigger" in bounce.reason
    assert len(timer.laps) == 1 and "double trigger" in bounce.text()
    assert apply_event(timer, Crossing(21.0), 71.0, clock).lap.time_s == pytest.approx(11.0)


def test_out_of_order_and_repeated_sensor_times_are_refused():
    timer, clock = SessionTimer(), SensorClock()
    apply_event(timer, Crossing(100.0), 10.0, clock)
    apply_event(timer, Crossing(112.0), 22.0, clock)
    for t in (112.0, 105.0):
        late = apply_event(timer, Crossing(t), 23.0, clock)
        assert late.action == "refused" and "not after the previous" in late.reason
    assert len(timer.laps) == 1


def test_a_crossing_never_lands_before_what_the_caller_already_showed():
    timer, clock = SessionTimer(), SensorClock()
    apply_event(timer, Crossing(0.0), 0.0, clock)
    timer.tick(12.2)  # the display moved the timer to 12.2 s
    late = apply_event(timer, Crossing(12.0), 12.3, clock, not_before=12.2)
    assert late.action == "lap" and late.at == pytest.approx(12.2) and late.lap.time_s == pytest.approx(12.2)


def test_after_time_is_up_the_next_crossing_is_the_finish_and_later_ones_are_refused():
    timer = SessionTimer(length_s=30, min_lap_s=1.0)
    apply_event(timer, Crossing(), 0.0)
    apply_event(timer, Crossing(), 20.0)
    assert timer.tick(31.0) == LAST_LAP
    finish = apply_event(timer, Crossing(), 33.0)
    assert finish.action == "lap" and finish.state == ENDED and "session is over" in finish.text()
    after = apply_event(timer, Crossing(), 45.0)
    assert after.action == "refused" and "ended" in after.reason and len(timer.laps) == 2


def test_a_paused_session_refuses_crossings_and_the_timekeeper_can_undo_a_sensor_lap():
    timer = SessionTimer()
    apply_event(timer, Crossing(), 0.0)
    apply_event(timer, Crossing(), 15.0)
    timer.pause(16.0)
    assert apply_event(timer, Crossing(), 17.0).reason == "the session is paused"
    timer.resume(18.0)
    apply_event(timer, Crossing(), 20.0)  # a marshal walked through the beam
    timer.undo_false_finish(20.5)
    assert len(timer.laps) == 1 and apply_event(timer, Crossing(), 30.0).lap.time_s == pytest.approx(13.0)


def test_network_events_in_drem_and_trackside_formats():
    drem = parse_event({"event": "lap", "timestamp": 1764588000123, "gpio": 17, "lapNumber": 3, "sensorLapCount": 2})
    assert drem == Crossing(1764588000.123, "gpio17")
    assert parse_event({"event": "connected", "timestamp": 1}) is None
    assert parse_event({"type": "crossing", "t": 12.5, "sensor": " finish "}) == Crossing(12.5, "finish")
    assert parse_event({"type": "crossing"}) == Crossing(None, "finish")
    for bad in ([1, 2], {"type": "crossing", "t": "soon"}, {"type": "crossing", "t": -1},
                {"type": "crossing", "t": float("nan")}, {"event": "lap", "timestamp": True},
                {"type": "crossing", "sensor": 7}, {"type": "jump"}):
        with pytest.raises(TimerInputError):
            parse_event(bad)


def test_serial_lines():
    assert parse_serial_line(b"L\r\n") == Crossing(None, "serial")
    assert parse_serial_line("lap") == Crossing(None, "serial")
    assert parse_serial_line("123456\n", "/dev/ttyUSB0") == Crossing(123.456, "/dev/ttyUSB0")
    assert parse_serial_line("LAP 2500") == Crossing(2.5, "serial")
    assert parse_serial_line("") is None and parse_serial_line("# lap sensor v2 ready") is None
    for bad in ("LAPS", "12.5", "-100", "L 1 2", b"\xff\xfe"):
        with pytest.raises(TimerInputError):
            parse_serial_line(bad)
