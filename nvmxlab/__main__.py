"""`python -m nvmxlab` and the `nvmxlab` command: the command line of cli.py, as a process."""

import os
import sys

from .cli import main


def console() -> None:
    status = main()
    # The process ends here and its memory goes back to the OS with it.  A long run leaves
    # its trace and the world that made it (300,000 objects for 3,000 interrupts, kept in
    # cli.made): the interpreter's exit would visit them in a last collection and free them
    # one by one (35 ms at 3,000 interrupts).  So the output is flushed and the process ends
    # at once.
    try:
        sys.stdout.flush()
    except BrokenPipeError:  # the reader stopped early (| head): not an error, as in cli.main
        pass
    sys.stderr.flush()
    os._exit(status)


if __name__ == "__main__":
    console()
