"""The race-day timer, driven by fake times: every action a timekeeper's key does."""

import pytest

from league.timing import (DISCARDED, DNF, ENDED, LAST_LAP, PAUSED, READY, RUNNING, SUBMITTED, DoubleTrigger,
                           SessionTimer, TimingError)


def timer(**kw):
    kw.setdefault("length_s", 60.0)
    kw.setdefault("resets_per_lap_limit", 2)
    return SessionTimer(**kw)


def started(**kw):
    t = timer(**kw)
    t.start(100.0)
    return t


def test_start_runs_the_clock_and_lap_one_from_the_start():
    t = timer()
    assert t.state == READY and t.time_left(0.0) == 60.0
    with pytest.raises(TimingError, match="not started"):
        t.capture_lap(5.0)
    t.start(100.0)
    assert t.state == RUNNING
    assert t.time_left(110.0) == pytest.approx(50.0)
    assert t.running_lap_time(110.0) == pytest.approx(10.0)
    with pytest.raises(TimingError, match="already running"):
        t.start(111.0)


def test_paused_time_counts_neither_in_the_session_clock_nor_in_the_running_lap():
    t = started()
    t.pause(110.0)
    assert t.state == PAUSED
    assert t.time_left(500.0) == pytest.approx(50.0)        # frozen while paused
    with pytest.raises(TimingError, match="paused"):
        t.capture_lap(120.0)
    with pytest.raises(TimingError, match="paused"):
        t.pause(121.0)
    t.resume(130.0)                                          # 20 s paused
    assert t.state == RUNNING
    lap = t.capture_lap(135.0)
    assert lap.time_s == pytest.approx(15.0)                 # 10 s before + 5 s after the pause
    assert t.time_left(135.0) == pytest.approx(45.0)
    with pytest.raises(TimingError, match="running"):
        t.resume(136.0)


def test_capture_records_laps_with_their_resets_and_starts_the_next():
    t = started()
    t.add_reset(103.0)
    lap1 = t.capture_lap(112.5)
    t.capture_lap(123.0)
    assert [(lap.number, round(lap.time_s, 6), lap.resets, lap.valid) for lap in t.laps] == [
        (1, 12.5, 1, True), (2, 10.5, 0, True)]
    assert lap1 is t.laps[0]
    assert t.running_lap_time(124.0) == pytest.approx(1.0)


def test_reset_counts_on_the_running_lap_and_undo_takes_it_back():
    t = started()
    assert t.add_reset(101.0) == 1
    assert t.add_reset(102.0) == 2
    assert t.undo_reset(103.0) == 1
    assert t.undo_reset(104.0) == 0
    with pytest.raises(TimingError, match="no reset to undo"):
        t.undo_reset(105.0)
    t.add_reset(106.0)
    assert t.capture_lap(110.0).resets == 1
    assert t.running_resets == 0
    actions = [e.action for e in t.events]
    assert actions[:6] == ["start", "reset", "reset", "undo_reset", "undo_reset", "refused"]


def test_a_lap_over_the_reset_limit_is_invalid_until_the_timekeeper_says_otherwise():
    t = started(resets_per_lap_limit=2)
    for k in range(3):
        t.add_reset(101.0 + k)
    lap = t.capture_lap(110.0)
    assert not lap.valid and lap.auto_invalid == "3 resets (limit 2)"
    t.add_reset(111.0)
    t.add_reset(112.0)
    assert t.capture_lap(120.0).valid               # exactly the limit is still valid
    assert t.best_lap().number == 2
    assert t.flip_valid(1).valid                    # the timekeeper overrules the rules
    assert t.laps[0].override is True and t.best_lap().number == 1
    assert not t.flip_valid(1).valid                # back to the rules' verdict
    assert t.laps[0].override is None


def test_flip_validity_marks_a_lap_invalid_and_valid_again():
    t = started()
    t.capture_lap(110.0)
    t.capture_lap(118.0)
    assert not t.flip_valid().valid                 # default: the last lap
    assert t.best_lap().number == 1
    assert t.set_valid(2, True).valid
    assert t.best_lap().number == 2
    with pytest.raises(TimingError, match="no lap 7"):
        t.flip_valid(7)
    with pytest.raises(TimingError, match="no lap to mark"):
        started().flip_valid()


def test_undo_of_a_false_finish_puts_the_lap_time_and_resets_back_into_the_running_lap():
    t = started()
    t.capture_lap(110.0)                            # lap 1: 10 s
    t.add_reset(112.0)
    t.capture_lap(114.0)                            # a false finish: 4 s, 1 reset
    t.add_reset(116.0)
    removed = t.undo_false_finish(117.0)
    assert removed.number == 2 and removed.time_s == pytest.approx(4.0)
    assert len(t.laps) == 1
    assert t.running_lap_time(117.0) == pytest.approx(7.0)
    assert t.running_resets == 2
    lap = t.capture_lap(121.0)
    assert lap.number == 2
    assert lap.time_s == pytest.approx(4.0 + 7.0)   # the removed lap's time plus what followed
    assert lap.resets == 2
    t.undo_false_finish(122.0)
    t.undo_false_finish(123.0)
    with pytest.raises(TimingError, match="no lap to undo"):
        t.undo_false_finish(124.0)
    assert t.capture_lap(125.0).time_s == pytest.approx(25.0)


def test_a_double_trigger_inside_the_minimum_lap_time_is_ignored_with_a_reason():
    t = started(min_lap_s=1.0)
    t.capture_lap(110.0)
    with pytest.raises(DoubleTrigger, match=r"0\.4 s after the last one: ignored as a double trigger \(minimum 1\.0 s\)"):
        t.capture_lap(110.4)
    assert len(t.laps) == 1
    assert t.capture_lap(121.0).time_s == pytest.approx(11.0)   # the ignored press changed nothing
    with pytest.raises(DoubleTrigger, match="after the start"):
        started().capture_lap(100.5)
    assert [e.detail for e in t.events if e.action == "refused"] == [
        "capture_lap: lap captured 0.4 s after the last one: ignored as a double trigger (minimum 1.0 s)"]


def test_time_expiry_mid_lap_the_lap_in_progress_counts_and_the_next_finish_ends_the_session():
    t = started(length_s=30.0)
    t.capture_lap(112.0)
    t.capture_lap(124.0)
    assert t.tick(129.9) == RUNNING
    assert t.tick(131.0) == LAST_LAP               # clock out mid-lap 3
    assert t.time_left(131.0) == 0.0
    t.add_reset(132.0)                             # the lap still runs: resets still count
    lap = t.capture_lap(137.5)                     # the finish after time up
    assert lap.number == 3 and lap.time_s == pytest.approx(13.5) and lap.resets == 1
    assert t.state == ENDED and t.end_reason == "finish"
    with pytest.raises(TimingError, match="has ended"):
        t.capture_lap(150.0)
    with pytest.raises(TimingError, match="has ended"):
        t.add_reset(151.0)
    assert [e.action for e in t.events if e.action in ("time_up", "finish")] == ["time_up", "finish"]
    assert next(e for e in t.events if e.action == "time_up").clock_s == 30.0


def test_undo_of_the_finish_that_ended_the_session_reopens_the_last_lap():
    t = started(length_s=30.0)
    t.capture_lap(125.0)
    t.capture_lap(132.0)                           # false finish after time up: session ends
    assert t.state == ENDED
    t.undo_false_finish(134.0)
    assert t.state == LAST_LAP
    lap = t.capture_lap(140.0)                     # the car kept going the whole time
    assert lap.time_s == pytest.approx(15.0) and t.state == ENDED


def test_pausing_in_the_last_lap_resumes_the_last_lap():
    t = started(length_s=30.0)
    t.tick(131.0)
    t.pause(131.0)
    t.resume(200.0)
    assert t.state == LAST_LAP
    assert t.capture_lap(202.0).time_s == pytest.approx(33.0)


def test_the_timekeeper_ends_a_session_and_the_lap_in_progress_does_not_count():
    t = started()
    t.capture_lap(110.0)
    t.end(115.0)
    assert t.state == ENDED and t.end_reason == "ended" and len(t.laps) == 1
    assert t.running_lap_time(116.0) is None
    assert t.time_left(500.0) == pytest.approx(45.0)
    with pytest.raises(TimingError, match="has ended"):
        t.undo_false_finish(116.0)                 # only a finish that ended the session can be undone
    with pytest.raises(TimingError, match="has ended"):
        t.end(117.0)


def test_dnf_keeps_the_laps_and_submit_or_discard_closes_the_session():
    t = started()
    t.capture_lap(110.0)
    t.dnf(112.0)
    assert t.state == DNF and t.end_reason == "dnf" and len(t.laps) == 1
    with pytest.raises(TimingError, match="DNF"):
        t.capture_lap(120.0)
    t.submit()
    assert t.state == SUBMITTED
    with pytest.raises(TimingError, match="already submitted"):
        t.discard()
    with pytest.raises(TimingError, match="already submitted"):
        t.flip_valid(1)


def test_submit_needs_an_ended_session_and_discard_throws_any_session_away():
    t = started()
    with pytest.raises(TimingError, match="only an ended session"):
        t.submit()
    t.discard()
    assert t.state == DISCARDED
    with pytest.raises(TimingError, match="discarded"):
        t.capture_lap(120.0)
    e = started()
    e.end(120.0)
    e.submit()
    assert e.state == SUBMITTED


def test_best_lap_and_best_average_of_consecutive_valid_laps():
    t = started(length_s=200.0, resets_per_lap_limit=0, average_of=3)
    now = 100.0
    for time_s, resets in [(12.0, 0), (10.0, 0), (11.0, 0), (9.0, 1), (10.5, 0), (10.0, 0), (10.2, 0)]:
        for _ in range(resets):
            t.add_reset(now + 1.0)
        now += time_s
        t.capture_lap(now)
    assert t.best_lap().time_s == pytest.approx(10.0) and t.best_lap().number == 2   # 9.0 is invalid; tie -> earlier
    avg, window = t.best_average()
    assert [lap.number for lap in window] == [5, 6, 7]          # no window may hold the invalid lap 4
    assert avg == pytest.approx((10.5 + 10.0 + 10.2) / 3)
    assert t.best_average(2)[0] == pytest.approx(10.1)
    assert t.result_s() == pytest.approx(10.0)
    t.ranking = "best_average"
    assert t.result_s() == pytest.approx(avg)
    assert started(average_of=3).best_average() is None


def test_time_cannot_go_backwards_and_bad_settings_are_refused():
    t = started()
    with pytest.raises(TimingError, match="backwards"):
        t.capture_lap(50.0)
    with pytest.raises(ValueError, match="ranking"):
        SessionTimer(60.0, None, ranking="slowest")
    with pytest.raises(ValueError, match="average_of"):
        SessionTimer(60.0, None, average_of=1)
    with pytest.raises(ValueError, match="resets_per_lap_limit"):
        SessionTimer(60.0, -1)


def test_first_to_ends_the_session_at_the_xth_valid_lap_and_refuses_more_with_a_reason():
    t = started(ranking="first_to", target_laps=2, resets_per_lap_limit=0)
    t.capture_lap(110.0)                       # lap 1: 10 s, valid
    t.add_reset(112.0)
    t.capture_lap(121.0)                       # lap 2: 11 s, a reset over the limit: invalid
    assert t.state == RUNNING
    t.capture_lap(130.0)                       # lap 3: 9 s, the second valid lap
    assert (t.state, t.end_reason) == (ENDED, "first_to")
    assert t.result_s() == pytest.approx(30.0)  # the time taken, the invalid lap's included
    with pytest.raises(TimingError, match="2 valid laps: the session is over"):
        t.capture_lap(140.0)
    t.flip_valid(3)                            # the marshal takes lap 3 away: the car drives on
    assert t.state == RUNNING and t.result_s() is None
    t.capture_lap(145.0)
    assert (t.state, t.end_reason) == (ENDED, "first_to") and t.result_s() == pytest.approx(45.0)
    t.undo_false_finish(150.0)                 # not a finish after all: it reopens
    assert t.state == RUNNING
    t.set_valid(2, True)                       # lap 2 allowed: two valid laps, the session ends
    assert (t.state, t.end_reason) == (ENDED, "first_to") and t.result_s() == pytest.approx(21.0)


def test_total_time_of_the_first_n_valid_laps_and_most_laps_by_count_then_last_lap():
    total = started(ranking="total_time", target_laps=2, resets_per_lap_limit=0)
    most = started(ranking="most_laps", resets_per_lap_limit=0)
    for t in (total, most):
        t.add_reset(101.0)
        t.capture_lap(112.0)                   # 12 s, invalid
        t.capture_lap(122.0)                   # 10 s
        t.capture_lap(133.0)                   # 11 s
        t.capture_lap(145.0)                   # 12 s
    assert total.result_s() == pytest.approx(21.0)      # laps 2 and 3: the invalid first lap is skipped
    assert total.state == RUNNING                       # total time does not end the session
    assert most.result_s() == pytest.approx(45.0)       # when the third valid lap landed
    assert most.snapshot(146.0)["valid_laps"] == 3
    with pytest.raises(ValueError, match="target_laps: first_to needs"):
        timer(ranking="first_to")
