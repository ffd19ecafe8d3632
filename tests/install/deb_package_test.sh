#!/bin/sh
# The Debian package (docs/install.md "Debian package"): `cpack -G DEB` in the build directory writes
# losscheck_<version>_amd64.deb; its contents list the command line, the headers, the CMake package and the fixtures;
# its control file names dependencies; the extracted command line runs, finds the extracted fixtures and loads the
# extracted LibTorch plugin (<libdir>/losscheck/losscheck-libtorch.so, found relative to the command line).
# Usage: deb_package_test.sh BUILD_DIR WORK_DIR
set -eu
build=$1
work=$2
rm -rf "$work"
mkdir -p "$work"
(cd "$work" && cpack -G DEB --config "$build/CPackConfig.cmake" -B "$work" >cpack.log 2>&1) || { cat "$work/cpack.log"; exit 1; }
deb=$(ls "$work"/losscheck_*_amd64.deb)
echo "package: $(basename "$deb")"
dpkg-deb -c "$deb" > "$work/contents.txt"
for f in ./usr/bin/losscheck ./usr/include/losscheck/audit.h ./usr/include/losscheck/gtest.h \
         ./usr/include/losscheck/protocol.h ./usr/lib/cmake/losscheck/losscheckConfig.cmake \
         ./usr/lib/pkgconfig/losscheck.pc ./usr/share/losscheck/fixtures/mse_loss.json \
         ./usr/lib/liblosscheck_audit.a ./usr/lib/losscheck/losscheck-libtorch.so; do
  grep -q " $f\$" "$work/contents.txt" || { echo "the package lacks $f"; cat "$work/contents.txt"; exit 1; }
done
depends=$(dpkg-deb -f "$deb" Depends)
echo "Depends: $depends"
for d in libmpfr6 libfmt librapidcheck-dev libtorch; do
  case "$depends" in *"$d"*) ;; *) echo "Depends lacks $d"; exit 1 ;; esac
done
dpkg-deb -x "$deb" "$work/root"
"$work/root/usr/bin/losscheck" --version
out=$("$work/root/usr/bin/losscheck" audit --target impl --loss l1_loss --dtype float64 --property fixtures)
echo "$out" | grep -q "fixtures: [0-9]* files in $work/root/usr/share/losscheck/fixtures" ||
  { echo "the extracted command line did not read the extracted fixtures:"; echo "$out"; exit 1; }
echo "$out" | grep -q "verdict: pass" || { echo "$out"; exit 1; }
case_line='{"id":1,"loss":"mse_loss","inputs":{"input":{"shape":[2],"data":[1,2]},"target":{"shape":[2],"data":[0,0]}}}'
out=$(echo "$case_line" | "$work/root/usr/bin/losscheck" run --target libtorch)
echo "$out" | grep -q '"output":{"shape":\[\],"dtype":"float32","data":\[2.5\]}' ||
  { echo "the extracted command line's libtorch target did not answer: $out"; exit 1; }
echo "ok"
