"""`python -m nvmxlab` and the `nvmxlab` command: the command line of cli.py, as a process."""

import gc
import sys

from .cli import main


def console() -> None:
    status = main()
    # The process ends here and its memory goes back to the OS with it.  A long run leaves
    # its trace and the world that made it to the cyclic collector (300,000 containers for
    # 3,000 interrupts), and the interpreter's last collection would visit and free them one
    # by one: a fifth of a second.  gc.freeze() puts them out of that collection's reach.
    gc.freeze()
    sys.exit(status)


if __name__ == "__main__":
    console()
