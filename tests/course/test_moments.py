"""The moments the course points at are read off the run, in the order they happen."""

import nvmxlab
from nvmxlab import moments


def found(name: str, **kwargs) -> dict[str, int]:
    result = nvmxlab.run(nvmxlab.load_bundled(name), **kwargs)
    return {m.label: m.seq for m in moments.moments(result)}


def test_the_seed_interrupt_goes_raise_kick_emulated_exit_window_injection_handler():
    seqs = found("seed-interrupt")
    order = ["the interrupt for L1 is raised", "the kick: L0's own EXTERNAL_INTERRUPT exit",
             "L0 emulates the exit to L1", "L0 opens the interrupt window",
             "the interrupt-window exit, after L1's STI", "L0 injects the interrupt into L1",
             "L1's handler runs"]
    assert list(seqs) == order
    assert [seqs[label] for label in order] == sorted(seqs.values())


def test_each_moment_is_the_step_that_shows_it():
    result = nvmxlab.run(nvmxlab.load_bundled("seed-interrupt"))
    by_seq = {e.seq: e for e in result.events}
    for m in moments.moments(result):
        assert m.step == f"{by_seq[m.seq].level} {by_seq[m.seq].name}"


def test_with_ack_on_exit_the_exit_carries_the_vector_and_no_window_opens():
    seqs = found("ack-on-exit-modern")
    assert "the exit L1 sees carries the vector" in seqs
    assert "L0 opens the interrupt window" not in seqs
