"""L0: a model of Linux KVM's vCPU loop and its nested VMX code, in three historical designs.

- `x86.py`     the vCPU loop shared by every design (vcpu_run, vcpu_enter_guest, vcpu_block)
- `nested.py`  emulation of VMLAUNCH/VMRESUME and of VM exits to L1 (nested_vmx_run, ...)
- `kvm2011.py` the 2011 designs: the seed patch (kvm-2011-vmx) and the nested-SVM shape
- `modern.py`  today's design: kvm_check_nested_events() in common code (kvm-modern)
"""

from .kvm2011 import Kvm2011Svm, Kvm2011Vmx
from .modern import KvmModern

POLICY_CLASSES = {
    "kvm-2011-vmx": Kvm2011Vmx,
    "kvm-2011-svm": Kvm2011Svm,
    "kvm-modern": KvmModern,
}

__all__ = ["POLICY_CLASSES", "Kvm2011Svm", "Kvm2011Vmx", "KvmModern"]
