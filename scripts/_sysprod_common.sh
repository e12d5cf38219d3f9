# Shared by every wrapper in scripts/ (sourced, not run): find the project, load the user's
# environment, pick the Python and the echo folder.
#   private/project_env.sh  (optional) exports e.g. SYSPROD_DATA_ROOT, SYSPROD_CONFIG, ECHO_PATH,
#                           SYSPROD_PYTHON and secrets such as SYSPROD_EMAIL_PWD.
SCRIPTS_DIR=$(cd "$(dirname "$0")" && pwd)
PROJECT_DIR=$(dirname "$SCRIPTS_DIR")
if [ -f "$PROJECT_DIR/private/project_env.sh" ]; then
    . "$PROJECT_DIR/private/project_env.sh"
fi
PYTHON=${SYSPROD_PYTHON:-$PROJECT_DIR/.venv/bin/python}
if [ ! -x "$PYTHON" ]; then
    PYTHON=$(command -v python3)
fi
export PYTHONPATH="$PROJECT_DIR${PYTHONPATH:+:$PYTHONPATH}"
if [ -z "$ECHO_PATH" ]; then
    ECHO_PATH=$("$PYTHON" -m sysproduction.control.paths echo_path) || exit 1
fi
mkdir -p "$ECHO_PATH" || exit 1

# run_process NAME MODULE: run a process module, appending stdout and stderr to its echo file.
run_process() {
    echo "=== $1 started $(date -u '+%Y-%m-%d %H:%M:%S') UTC (pid $$) ===" >>"$ECHO_PATH/$1.txt"
    "$PYTHON" -m "$2" >>"$ECHO_PATH/$1.txt" 2>&1
    status=$?
    echo "=== $1 ended with exit code $status ===" >>"$ECHO_PATH/$1.txt"
    return $status
}

# run_tool NAME MODULE: an interactive tool; shown on the terminal and appended to its echo file.
run_tool() {
    "$PYTHON" -u -m "$2" 2>&1 | tee -a "$ECHO_PATH/$1.txt"
}
