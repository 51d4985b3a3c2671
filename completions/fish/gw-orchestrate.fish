# fish completion for gw-orchestrate(1).  Installed in
# $(DATADIR)/fish/vendor_completions.d.  Completes the commands, their
# options, *.json scripts and requests, and directories after --record and
# --replay; never runs gw-orchestrate.  The option list agrees with usage()
# and gw-orchestrate.1 (tests/e2e/t0002-docs.sh).

complete -c gw-orchestrate -f

# Directories and *.json files that start with the word being completed.
function __gw_orchestrate_json_files
    set -l tok (commandline -ct | string replace -r -- '^--request=' '')
    __fish_complete_path "$tok" | string match -r -- '^.*(?:/|\.json)(?=\t|$)'
end

set -l cmds run check
complete -c gw-orchestrate -n "not __fish_seen_subcommand_from $cmds" -a run -d 'Run the script once'
complete -c gw-orchestrate -n "not __fish_seen_subcommand_from $cmds" -a check -d 'Check the script and print its graph'
complete -c gw-orchestrate -n "__fish_seen_subcommand_from $cmds" -a '(__gw_orchestrate_json_files)' -d 'Script'

complete -c gw-orchestrate -s h -l help -d 'Print the usage and exit'
complete -c gw-orchestrate -s V -l version -n "not __fish_seen_subcommand_from $cmds" -d 'Print the version and exit'
complete -c gw-orchestrate -l dot -n "not __fish_seen_subcommand_from run" -d 'Print the graph for Graphviz'
complete -c gw-orchestrate -l include -n "not __fish_seen_subcommand_from check" -d 'Write the status line and fields before the body'
complete -c gw-orchestrate -l param -x -n "not __fish_seen_subcommand_from check" -d 'A path parameter of the request (name=value)'
complete -c gw-orchestrate -l record -x -a '(__fish_complete_directories)' -n "not __fish_seen_subcommand_from check" -d 'Save every call and answer in dir'
complete -c gw-orchestrate -l replay -x -a '(__fish_complete_directories)' -n "not __fish_seen_subcommand_from check" -d 'Answer every call from the recordings in dir'
complete -c gw-orchestrate -l request -x -a '(__gw_orchestrate_json_files) -' -n "not __fish_seen_subcommand_from check" -d 'The request, described in JSON'
complete -c gw-orchestrate -l trace -n "not __fish_seen_subcommand_from check" -d 'A timeline of the calls on stderr'
