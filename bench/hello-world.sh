#!/usr/bin/env bash
# The start-up floor of the benchmarks: a bare Native AOT hello world built with the same SDK and default (PIE) settings.
#   bench/hello-world.sh DIR   builds DIR/out/hello (no .dbg beside it: valgrind 3.19 cannot read the DWARF the SDK writes)
set -euo pipefail
dir="$1"
mkdir -p "$dir"
cat > "$dir/hello.csproj" <<'XML'
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup>
    <OutputType>Exe</OutputType><TargetFramework>net10.0</TargetFramework><PublishAot>true</PublishAot>
    <InvariantGlobalization>true</InvariantGlobalization><UseSystemResourceKeys>true</UseSystemResourceKeys>
  </PropertyGroup>
</Project>
XML
echo 'System.Console.WriteLine("hello");' > "$dir/Program.cs"
dotnet publish "$dir/hello.csproj" -c Release -r linux-x64 -o "$dir/out" -nologo -v:quiet -clp:ErrorsOnly >&2
rm -f "$dir/out/"*.dbg
