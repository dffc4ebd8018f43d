# Suite: the notifier's include graph is one-way (issue 9, STYLE.md habit 2):
# base < codec < transport < session < hub, one folder each. A lower layer
# reports upward only through handler structs (net_handlers, sio_hooks).
bash "$RC_ROOT/test/lib/layers.sh" "$RC_ROOT"
