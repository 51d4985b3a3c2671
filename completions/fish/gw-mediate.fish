# fish completion for gw-mediate(1).  Installed in
# $(DATADIR)/fish/vendor_completions.d.  Completes the commands and their
# options, *.xsl stylesheets, *.json mediation and option files, *.xsd and
# *.wsdl schemas, test files and directories; never runs gw-mediate.  The
# option list agrees with usage() and gw-mediate.1
# (tests/e2e/t0002-docs.sh).  Before a command every option is offered;
# after one, its own.

complete -c gw-mediate -f

# Directories and files with one of the extensions given.
function __gw_mediate_files
    set -l tok (commandline -ct | string replace -r -- '^--[a-z-]+=' '')
    set -l re (string join '|' $argv)
    __fish_complete_path "$tok" | string match -r -- "^.*(?:/|\.(?:$re))(?=\t|\$)"
end

set -l cmds json2xml xml2json xslt soap-wrap soap-unwrap run test wsdl2rest
set -l none "not __fish_seen_subcommand_from $cmds"

complete -c gw-mediate -n $none -a json2xml -d 'JSON to XML'
complete -c gw-mediate -n $none -a xml2json -d 'XML to JSON'
complete -c gw-mediate -n $none -a xslt -d 'Run a stylesheet'
complete -c gw-mediate -n $none -a soap-wrap -d 'XML into a SOAP envelope'
complete -c gw-mediate -n $none -a soap-unwrap -d 'The Body of a SOAP envelope'
complete -c gw-mediate -n $none -a run -d 'Run a mediation file'
complete -c gw-mediate -n $none -a test -d 'Run mediation tests'
complete -c gw-mediate -n $none -a wsdl2rest -d 'A REST API from a WSDL'

complete -c gw-mediate -n '__fish_seen_subcommand_from json2xml' -a '(__gw_mediate_files json)'
complete -c gw-mediate -n '__fish_seen_subcommand_from xml2json soap-wrap soap-unwrap' -a '(__gw_mediate_files xml)'
complete -c gw-mediate -n '__fish_seen_subcommand_from xslt' -a '(__gw_mediate_files xsl xslt xml)'
complete -c gw-mediate -n '__fish_seen_subcommand_from run test' -a '(__gw_mediate_files json)'
complete -c gw-mediate -n '__fish_seen_subcommand_from wsdl2rest' -a '(__gw_mediate_files wsdl)'

complete -c gw-mediate -s h -l help -d 'Print the usage and exit'
complete -c gw-mediate -s V -l version -n $none -d 'Print the version and exit'
set -l conv "$none; or __fish_seen_subcommand_from json2xml xml2json"
complete -c gw-mediate -l badgerfish -n $conv -d 'The Badgerfish convention'
complete -c gw-mediate -l duplicates -x -a 'reject first all' -n $conv -d 'Repeated keys of an object'
complete -c gw-mediate -l friendly -n $conv -d 'The friendly convention'
complete -c gw-mediate -l indent -n $conv -d 'Indent the output'
complete -c gw-mediate -l options -x -a '(__gw_mediate_files json)' -n $conv -d 'The friendly options from a JSON file'
complete -c gw-mediate -l namespace -x -n "$none; or __fish_seen_subcommand_from json2xml" -d 'Default namespace of the root'
complete -c gw-mediate -l root -x -n "$none; or __fish_seen_subcommand_from json2xml" -d 'The root element'
complete -c gw-mediate -l schema -x -a '(__gw_mediate_files xsd wsdl)' -n "$none; or __fish_seen_subcommand_from xml2json" -d 'Arrays from an XML Schema or WSDL'
complete -c gw-mediate -s p -l param -x -n "$none; or __fish_seen_subcommand_from xslt run" -d 'An XPath parameter (name=expr)'
complete -c gw-mediate -l stringparam -x -n "$none; or __fish_seen_subcommand_from xslt run" -d 'A string parameter (name=value)'
complete -c gw-mediate -l read-any-file -n "$none; or __fish_seen_subcommand_from xslt" -d "Read files outside the stylesheet's directory"
complete -c gw-mediate -l action -x -n "$none; or __fish_seen_subcommand_from soap-wrap" -d 'A WS-Addressing action'
complete -c gw-mediate -l soap12 -n "$none; or __fish_seen_subcommand_from soap-wrap" -d 'A SOAP 1.2 envelope'
complete -c gw-mediate -l detail -n "$none; or __fish_seen_subcommand_from soap-unwrap" -d "Keep a fault's detail"
complete -c gw-mediate -l var -x -n "$none; or __fish_seen_subcommand_from run" -d 'A variable (name=value)'
complete -c gw-mediate -s v -l verbose -n "$none; or __fish_seen_subcommand_from test" -d 'Show the comparison of passing cases'
complete -c gw-mediate -s o -l output -x -a '(__fish_complete_directories)' -n "$none; or __fish_seen_subcommand_from wsdl2rest" -d 'The directory to write'
complete -c gw-mediate -l prefix -x -n "$none; or __fish_seen_subcommand_from wsdl2rest" -d 'The path the routes begin with'
complete -c gw-mediate -l upstream -x -n "$none; or __fish_seen_subcommand_from wsdl2rest" -d 'The URL of the SOAP service'
