#!/usr/bin/perl
# Summarise an access log: requests per status code and the slowest paths.
use strict;
use warnings;

my (%by_status, %slowest);
while (my $line = <>) {
    chomp $line;
    next unless $line =~ m{^\S+ \S+ \S+ \[[^\]]+\] "(\w+) (\S+) [^"]*" (\d{3}) \d+ (\d+)ms$};
    my ($method, $path, $status, $ms) = ($1, $2, $3, $4);
    $by_status{$status}++;
    $slowest{$path} = $ms if !exists $slowest{$path} || $ms > $slowest{$path};
}

foreach my $status (sort keys %by_status) {
    printf "%s %6d\n", $status, $by_status{$status};
}
my @top = (sort { $slowest{$b} <=> $slowest{$a} } keys %slowest)[0 .. 4];
foreach my $path (grep { defined } @top) {
    print "$slowest{$path}ms $path\n";
}
