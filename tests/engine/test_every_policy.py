"""What holds under every design of L0: written once in `EveryPolicy`, run once per policy by
the subclasses below (as py65 runs one suite of 6502 tests over each processor variant).

A behaviour that holds for some designs only belongs in the files of its topic, naming them.
"""

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from strategies import scenarios
from views import ENTRY, exit_, exit_reasons, irq

import nvmxlab
from nvmxlab import formats
from nvmxlab.bugs import POLICIES

# The seed as L1 sees it on bare metal: an exit without a vector, the IRQ after its STI.
SEED_L1 = [ENTRY, exit_("EXTERNAL_INTERRUPT", 3), irq(0x30), ENTRY, exit_("VMCALL", 4),
           ENTRY, exit_("VMCALL", 9), ENTRY]

# L1 executes "sti; hlt", which L0 emulates (vmcs01 exits on HLT).
STI_HLT_L1 = """
[l1]
program = ["cli", "nop", "sti", "hlt", "nop", "vmlaunch"]
[[interrupt]]
vector = 0x30
to = "L1"
at = "L1:4"
"""

# L2's "sti; vmcall": L1 skips the VMCALL, which ends the STI shadow.
STI_VMCALL_L2 = """
[l2]
program = ["cli", "nop", "sti", "vmcall", "nop", "nop", "nop"]
rflags_if = false
[[interrupt]]
vector = 0x40
to = "L2"
at = "L2:2"
"""



def split_among_policies(examples: int) -> settings:
    """A property's examples shared among the three policies.  Each property is one function
    run by three classes: Hypothesis's executor check would stop it, and an example saved
    under one policy is only replayed, drawn afresh, under the others."""
    return settings(max_examples=examples // len(POLICIES), deadline=None,
                    suppress_health_check=[HealthCheck.too_slow,
                                           HealthCheck.differing_executors])


class EveryPolicy:
    policy: str

    def scenario(self, source: str) -> nvmxlab.Scenario:
        """A bundled scenario's name or a TOML text, under this policy."""
        s = nvmxlab.loads(source) if "\n" in source else nvmxlab.load_bundled(source)
        return s.with_overrides({"policy": self.policy})

    def nested(self, source: str) -> nvmxlab.Result:
        return nvmxlab.run(self.scenario(source), "nested")

    def check(self, source: str) -> nvmxlab.Comparison:
        return nvmxlab.check(self.scenario(source))

    # -- the seed ------------------------------------------------------------------------------
    def test_seed_l1_sees_an_external_interrupt_exit_without_vector_then_the_irq_after_sti(self):
        assert self.nested("seed-interrupt").l1_view == SEED_L1

    def test_seed_matches_bare_metal_without_a_delay(self):
        c = self.check("seed-interrupt")
        assert c.ok and not c.delays
        assert c.nested.l1_view == c.bare.l1_view
        assert c.nested.l2_view == c.bare.l2_view

    def test_several_interrupts_are_each_delivered_once_in_bare_metal_order(self):
        c = self.check("two-interrupts")
        assert c.ok
        assert [d.delivered_to for d in c.nested.deliveries] == ["L1", "L1", "L2"]

    # -- the STI shadow --------------------------------------------------------------------------
    def test_skipping_an_emulated_hlt_clears_the_sti_shadow_in_the_vmcs_too(self):
        # L0 emulates L1's "sti; hlt": the interrupt wakes L1 after the HLT, not inside the
        # shadow (skip_emulated_instruction -> vmx_set_interrupt_shadow(vcpu, 0)).
        c = self.check(STI_HLT_L1)
        assert c.ok and not c.nested.violations

    def test_l1_skipping_l2s_vmcall_clears_l2s_sti_shadow(self):
        r = self.nested(STI_VMCALL_L2)
        assert "INTERRUPT_WINDOW" not in exit_reasons(r.l1_view)
        assert r.l2_view[:3] == [ENTRY, ENTRY, irq(0x40)]

    # -- generated scenarios ---------------------------------------------------------------------
    @split_among_policies(120)
    @given(st.data())
    def test_no_interrupt_is_lost_or_delivered_twice_or_while_blocked(self, data):
        s = data.draw(scenarios(policy=self.policy, exiting=True, ack=False))
        assert nvmxlab.run(s).violations == []

    @split_among_policies(42)
    @given(st.data())
    def test_same_scenario_same_trace_byte_for_byte(self, data):
        s = data.draw(scenarios(policy=self.policy))
        assert formats.to_json(nvmxlab.run(s)) == formats.to_json(nvmxlab.run(s))

    @split_among_policies(60)
    @given(st.data())
    def test_every_run_ends(self, data):
        s = data.draw(scenarios(policy=self.policy))
        r = nvmxlab.run(s)
        assert r.status in ("settled", "idle", "max_steps", "livelock")
        assert r.stats["steps"] <= s.max_steps + 50


class TestKvm2011Vmx(EveryPolicy):
    policy = "kvm-2011-vmx"


class TestKvm2011Svm(EveryPolicy):
    policy = "kvm-2011-svm"


class TestKvmModern(EveryPolicy):
    policy = "kvm-modern"


def test_every_policy_has_its_test_class():
    assert sorted(c.policy for c in EveryPolicy.__subclasses__()) == sorted(POLICIES)
