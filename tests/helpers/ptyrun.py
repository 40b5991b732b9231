#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
# ptyrun: run a command on a new pseudo-terminal, as a person at a shell
# would run hako: the terminal has a size, input is typed into it, and it
# may be resized (SIGWINCH) once some text has appeared.  Prints what the
# command wrote and exits with its status (128+N for a signal N).
#
#   ptyrun.py [--size ROWSxCOLS] [--after TEXT] [--resize ROWSxCOLS]
#             [--type TEXT] [--timeout S] -- COMMAND...
#
# --type TEXT is written once --after TEXT has been seen (or at once),
# after the --resize.  The terminal's mode is reported at the end as
# "ptyrun: echo=0|1" (hako restores it when it leaves raw mode).
import fcntl, os, select, signal, struct, sys, termios, time


def main():
    args = sys.argv[1:]
    size, after, resize, typed, timeout = (24, 80), None, None, None, 20.0
    while args and args[0] != "--":
        opt, val = args[0], args[1]
        args = args[2:]
        if opt == "--size":
            size = tuple(int(x) for x in val.split("x"))
        elif opt == "--after":
            after = val.encode()
        elif opt == "--resize":
            resize = tuple(int(x) for x in val.split("x"))
        elif opt == "--type":
            typed = val.encode().decode("unicode_escape").encode()
        elif opt == "--timeout":
            timeout = float(val)
        else:
            sys.exit("ptyrun: unknown option " + opt)
    cmd = args[1:]
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", size[0], size[1], 0, 0))
    pid = os.fork()
    if pid == 0:
        os.close(master)
        os.setsid()
        fcntl.ioctl(slave, termios.TIOCSCTTY, 0)
        for fd in (0, 1, 2):
            os.dup2(slave, fd)
        if slave > 2:
            os.close(slave)
        os.execvp(cmd[0], cmd)
    out = b""
    pending = after is not None
    if not pending and typed:
        os.write(master, typed)
    deadline = time.time() + timeout
    status = None
    while time.time() < deadline:
        r, _, _ = select.select([master], [], [], 0.05)
        if r:
            try:
                data = os.read(master, 65536)
            except OSError:
                data = b""
            out += data
        if pending and after in out:
            pending = False
            if resize:
                fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", resize[0], resize[1], 0, 0))
                os.kill(pid, signal.SIGWINCH)
                time.sleep(0.2)
            if typed:
                os.write(master, typed)
        if status is None:
            w, st = os.waitpid(pid, os.WNOHANG)
            if w == pid:
                status = st
        if status is not None and not r:
            break
    if status is None:
        os.kill(pid, signal.SIGKILL)
        _, status = os.waitpid(pid, 0)
        sys.stdout.write("ptyrun: timed out\n")
    echo = 1 if termios.tcgetattr(slave)[3] & termios.ECHO else 0
    sys.stdout.write(out.decode(errors="replace").replace("\r\n", "\n"))
    sys.stdout.write("\nptyrun: echo=%d\n" % echo)
    sys.exit(os.waitstatus_to_exitcode(status) if os.WIFEXITED(status) else 128 + os.WTERMSIG(status))


main()
