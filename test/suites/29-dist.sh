# Suite: the release archive and META.json (issue 13, docs/upgrades.md "Making a release").
#
# META.json is checked against the PGXN Meta Spec 1.0.0 by
# test/upgrade/meta_check.py (required keys and types, semantic versions,
# the version equal to roomcast.control's and the Makefile's), and the
# checker is shown to reject broken copies. `make dist` builds
# build/roomcast-VERSION.zip from `git archive` of HEAD: the archive must
# have one top directory, META.json, the control file, the frozen and the
# upgrade scripts, the assembled install script, the sources, README and
# LICENSE; nothing that is not committed (node_modules, build output, keys);
# and it must build with PGXS and install every script.
cd "$RC_ROOT" || exit 1
W="$RC_TMP/dist"
rm -rf "$W"
mkdir -p "$W"
status=0
ok() { echo "ok - dist: $1"; }
notok() { echo "not ok - dist: $1"; status=1; }
check() { if [ "$2" = "$3" ]; then ok "$1"; else notok "$1"; echo "#   got:  $2"; echo "#   want: $3"; fi; }
VERSION=$(sed -n 's/^EXTVERSION *= *//p' Makefile)
TOP=roomcast-$VERSION

# ---- META.json in the tree ----
python3 test/upgrade/meta_check.py META.json --root . | sed 's/^\(not \)\?ok - meta: /\1ok - dist: META.json: /'
[ "${PIPESTATUS[0]}" = 0 ] || status=1
# the checker rejects what the spec forbids (else its passing means nothing)
mutate() {	# mutate NAME PYTHON-STATEMENT-ON-m: write $W/bad-NAME.json
	python3 -c "import json,sys; m=json.load(open('META.json')); $2; json.dump(m, open('$W/bad-$1.json','w'))"
}
mutate noversion "del m['version']"
mutate status "m['release_status'] = 'beta'"
mutate mismatch "m['version'] = m['provides']['roomcast']['version'] = '9.9.9'"
mutate semver "m['version'] = m['provides']['roomcast']['version'] = '0.2'"
mutate nofile "del m['provides']['roomcast']['file']"
mutate name "m['name'] = 'room cast'"
mutate unknown "m['homepage'] = 'https://example.org'"
mutate prereq "m['prereqs']['runtime']['needs'] = m['prereqs']['runtime'].pop('requires')"
mutate license "m['license'] = 'GPL'"
rejected=""
for f in "$W"/bad-*.json; do
	python3 test/upgrade/meta_check.py "$f" --root . >"$f.out" 2>&1 || rejected="$rejected $(basename "$f" .json)"
done
check "meta_check.py rejects META.json without version, a bad release_status, a version unlike the control file's, a non-semantic version, a provides without file, a name with a space, an unknown key, an unknown prereq relation, an unknown license" \
	"$(echo $rejected | tr ' ' '\n' | sort | xargs)" \
	"bad-license bad-mismatch bad-name bad-nofile bad-noversion bad-prereq bad-semver bad-status bad-unknown"

# ---- make dist ----
if ! git rev-parse -q --verify HEAD >/dev/null 2>&1; then
	echo "ok - dist: # SKIP not a git checkout: make dist archives HEAD"
	exit $status
fi
rm -f "build/$TOP.zip"
if ! make -s dist >"$W/dist.out" 2>&1 || [ ! -f "build/$TOP.zip" ]; then
	notok "make dist builds build/$TOP.zip"
	sed 's/^/#   /' "$W/dist.out" | tail -10
	exit 1
fi
ok "make dist builds build/$TOP.zip ($(stat -c %s "build/$TOP.zip") bytes)"
python3 -c "import zipfile, sys; print('\n'.join(zipfile.ZipFile(sys.argv[1]).namelist()))" "build/$TOP.zip" | sort >"$W/names"
check "every entry is under the one top directory $TOP/" "$(grep -v "^$TOP/" "$W/names" | head -3)" ""
missing=""
for f in META.json README.md LICENSE Makefile extension/roomcast.control extension/roomcast--0.1.0.sql \
	extension/roomcast--0.1.0--$VERSION.sql extension/roomcast--$VERSION.sql extension/events.c \
	extension/ddl/00_schema.ddl.sql common/rc_json.c notifier/notifier.mk docs/upgrades.md; do
	grep -qxF "$TOP/$f" "$W/names" || missing="$missing $f"
done
check "the archive has META.json, README, LICENSE, the Makefile, the control file, the frozen 0.1.0, upgrade and $VERSION scripts, the sources and docs" "$missing" ""
check "it has nothing that is not committed (node_modules, build/, objects, keys): every entry but the assembled install script is a file of HEAD" \
	"$(comm -23 <(sed -n "s|^$TOP/||p" "$W/names" | grep -v '/$' | grep -vxF "extension/roomcast--$VERSION.sql" | sort) \
		<(git ls-tree -r --name-only HEAD | sort) | head -5)" ""
check "no node_modules, build/, .o/.so, key or certificate file in the archive" \
	"$(grep -E '/node_modules/|^[^/]+/build/|\.(o|so|pem|key|crt|p12)$|/\.git/' "$W/names" | head -5)" ""
echo "# SECURITY|release archive|untracked node_modules, build output and test keys in the work tree|not in the archive (git archive of HEAD only)"

# ---- the archive's META.json, and the archive builds and installs ----
python3 -c "import zipfile, sys; zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])" "build/$TOP.zip" "$W/unpacked"
python3 test/upgrade/meta_check.py "$W/unpacked/$TOP/META.json" --root "$W/unpacked/$TOP" --zip "build/$TOP.zip" |
	sed 's/^\(not \)\?ok - meta: /\1ok - dist: the archive'"'"'s META.json: /'
[ "${PIPESTATUS[0]}" = 0 ] || status=1
check "the archive's $VERSION install script is the fragments of HEAD in name order" \
	"$(cmp "$W/unpacked/$TOP/extension/roomcast--$VERSION.sql" \
		<(git ls-tree --name-only HEAD extension/ddl/ | grep '\.ddl\.sql$' | LC_ALL=C sort | while read -r f; do git show "HEAD:$f"; done) 2>&1)" ""
start=$SECONDS
if nice make -C "$W/unpacked/$TOP" -s -j2 >"$W/build.log" 2>&1; then
	ok "make in the unpacked archive builds the extension and the notifier with PGXS in $((SECONDS - start)) s"
else
	notok "make in the unpacked archive"
	tail -20 "$W/build.log" | sed 's/^/#   /'
fi
if make -C "$W/unpacked/$TOP" -s install DESTDIR="$W/root" NOTIFIER_NO_INSTALL=1 >>"$W/build.log" 2>&1; then
	share="$W/root$(pg_config --sharedir)/extension"
	check "make install from the archive installs the control file, the $VERSION, frozen 0.1.0 and upgrade scripts, and roomcast.so" \
		"$(cd "$share" && ls roomcast* | xargs) $(test -f "$W/root$(pg_config --pkglibdir)/roomcast.so" && echo roomcast.so)" \
		"roomcast--0.1.0--$VERSION.sql roomcast--0.1.0.sql roomcast--$VERSION.sql roomcast.control roomcast.so"
else
	notok "make install from the unpacked archive"
	tail -20 "$W/build.log" | sed 's/^/#   /'
fi
rm -rf "$W/unpacked" "$W/root"
exit $status
