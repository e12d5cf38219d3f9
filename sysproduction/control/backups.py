"""`python -m sysproduction.control.backups restore GENERATION NEW_DATA_ROOT`, the path earlier
versions documented: runs the restore of sysproduction.jobs.housekeeping.backups."""

import sys

from sysproduction.jobs.housekeeping.backups import main

if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
