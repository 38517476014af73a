#!/usr/bin/perl
# smsc.pl - the test SMSC for the sms module: SMPP 3.4 on Debian's Net::SMPP (libnet-smpp-perl),
# one forked process per connection. Written for src/test/java/org/hotline/sms (see README.md here).
#
# Env: SMSC_PORT (0 = free port, printed as "READY port=N"), SMSC_LOG (JSONL, optional),
#      SMSC_MO_DIR (folder polled for *.json MO files, optional), SMSC_CONTROL (JSON file re-read
#      whenever it changes: behaviour can change while the gateway stays bound).
# Control keys: throttle_pct, reject_dest [..] (ESME_RINVDSTADR), tempfail_dest [..] (ESME_RMSGQFUL),
#      dlr (1/0), dlr_stat {dest: stat}, dlr_id "hex"|"dec", dlr_delay_ms, resp_delay_ms, seed.
# Receipts go where a real SMSC sends them: to the submitting session, or, when that session is gone
# (unbound, closed, killed) or refused the deliver_sm, to another receiver/transceiver session bound with
# the same system_id. They wait in SMSC_DLR_SPOOL/<system_id>/ until one is bound (across restarts too).
use strict;
use warnings;
no warnings 'portable';
use Net::SMPP;
use IO::Select;
use JSON::PP;
use Encode qw(decode encode);
use POSIX qw(strftime WNOHANG);
use Time::HiRes qw(time);
use Fcntl qw(:flock);

$| = 1;
$SIG{__WARN__} = sub { print STDERR $_[0] unless $_[0] =~ /premature eof|Connection reset|Broken pipe/ };
$SIG{PIPE} = 'IGNORE';

my $PORT = $ENV{SMSC_PORT} // 2775;
my $LOG = $ENV{SMSC_LOG};
my $MO_DIR = $ENV{SMSC_MO_DIR};
my $CONTROL = $ENV{SMSC_CONTROL};
my $SPOOL = $ENV{SMSC_DLR_SPOOL};
my $JSON = JSON::PP->new->utf8->canonical;
my $PARENT = $$;

use constant { ROK => 0x00, RINVBNDSTS => 0x04, RINVDSTADR => 0x0B, RMSGQFUL => 0x14, RTHROTTLED => 0x58,
    RINVCMDID => 0x03, SUBMIT_SM => 0x04, UNBIND => 0x06, BIND_TRX => 0x09, BIND_TX => 0x02, BIND_RX => 0x01,
    ENQUIRE_LINK => 0x15, GENERIC_NACK => 0x80000000 };
my %STATUS = (0x00 => 'ESME_ROK', 0x04 => 'ESME_RINVBNDSTS', 0x0B => 'ESME_RINVDSTADR', 0x14 => 'ESME_RMSGQFUL',
    0x58 => 'ESME_RTHROTTLED');
my %MSG_STATE = (DELIVRD => 2, EXPIRED => 3, DELETED => 4, UNDELIV => 5, ACCEPTD => 6, UNKNOWN => 7, REJECTD => 8);

# ---------------------------------------------------------------- control
my %ctl = (throttle_pct => 0, dlr => 1, dlr_id => 'hex', dlr_delay_ms => 50, resp_delay_ms => 0);
my ($ctl_mtime, $ctl_checked) = (-1, 0);
sub control {
    return \%ctl unless $CONTROL;
    my $t = time;
    return \%ctl if $t - $ctl_checked < 0.1;
    $ctl_checked = $t;
    my $m = (stat $CONTROL)[9] // 0;
    my $size = (stat _)[7] // 0;
    my $sig = "$m/$size";
    return \%ctl if $sig eq $ctl_mtime;
    $ctl_mtime = $sig;
    if (open my $fh, '<', $CONTROL) {
        local $/;
        my $c = eval { $JSON->decode(<$fh>) };
        close $fh;
        if (ref $c eq 'HASH') {
            %ctl = (throttle_pct => 0, dlr => 1, dlr_id => 'hex', dlr_delay_ms => 50, resp_delay_ms => 0, %$c);
            srand($ctl{seed} + $$) if defined $ctl{seed};
        }
    }
    return \%ctl;
}
sub listed { my ($list, $v) = @_; return ref $list eq 'ARRAY' && grep { $_ eq $v } @$list }

sub log_event {
    my ($event, %f) = @_;
    return unless $LOG;
    my $t = time;
    my $line = $JSON->encode({ ts => sprintf('%.3f', $t) + 0, event => $event, pid => $$ + 0, %f }) . "\n";
    open my $fh, '>>', $LOG or return;
    flock $fh, LOCK_EX;
    syswrite $fh, $line;
    close $fh;
}

my $counter = 0;
sub new_id {    # 12 hex digits, unique across connections and restarts
    $counter = ($counter + 1) & 0xFFF;
    return sprintf '%012x', ((int(time * 10) & 0xFFFFFF) << 24) | (($$ & 0xFFF) << 12) | $counter;
}

sub split_udh {
    my ($sm) = @_;
    my $udhl = ord substr($sm, 0, 1);
    my ($udh, $body) = (substr($sm, 1, $udhl), substr($sm, 1 + $udhl));
    my %c;
    my $i = 0;
    while ($i + 2 <= length $udh) {
        my ($iei, $len) = unpack 'CC', substr($udh, $i, 2);
        @c{qw(concat_ref concat_total concat_seq)} = unpack 'CCC', substr($udh, $i + 2, 3) if $iei == 0 && $len == 3;
        $i += 2 + $len;
    }
    return (\%c, $body);
}

# ---------------------------------------------------------------- one connection
my ($conn, $peer, $bound, $sid, @later, %pending, %pending_dlr);

sub header_only { my ($cmd, $status, $seq) = @_; $conn->syswrite(pack 'NNNN', 16, $cmd | 0x80000000, $status, $seq) }

sub on_bind {
    my ($pdu) = @_;
    my $ok = (!defined $ENV{SMSC_SYSTEM_ID} || $pdu->{system_id} eq $ENV{SMSC_SYSTEM_ID})
        && (!defined $ENV{SMSC_PASSWORD} || $pdu->{password} eq $ENV{SMSC_PASSWORD});
    log_event('bind', peer => $peer, system_id => $pdu->{system_id}, ok => $ok ? JSON::PP::true : JSON::PP::false);
    if (!$ok) { header_only($pdu->{cmd}, 0x0E, $pdu->{seq}); return 0 }
    my $m = { BIND_TRX, 'bind_transceiver_resp', BIND_TX, 'bind_transmitter_resp', BIND_RX, 'bind_receiver_resp' }
        ->{ $pdu->{cmd} };
    $conn->$m(seq => $pdu->{seq}, system_id => 'PERLSMSC');
    ($bound, $sid) = (($pdu->{cmd} == BIND_RX ? 'rx' : 'trx'), $pdu->{system_id});
    return 1;
}

sub on_submit {
    my ($pdu) = @_;
    my $c = control();
    my $seq = $pdu->{seq};
    return header_only(SUBMIT_SM, RINVBNDSTS, $seq) unless $bound;
    my $sm = $pdu->{short_message} // '';
    my ($concat, $body) = ({}, $sm);
    ($concat, $body) = split_udh($sm) if $pdu->{esm_class} & 0x40;
    my $text = $pdu->{data_coding} == 8 ? eval { decode('UTF-16BE', $body, Encode::FB_CROAK) } : decode('latin1', $body);
    my $dest = $pdu->{destination_addr};
    my $status = ROK;
    $status = RINVDSTADR if listed($c->{reject_dest}, $dest);
    $status = RMSGQFUL if $status == ROK && listed($c->{tempfail_dest}, $dest);
    $status = RTHROTTLED if $status == ROK && $c->{throttle_pct} > 0 && rand(100) < $c->{throttle_pct};
    my $mid = $status == ROK ? new_id() : undef;
    # logged before it is answered: a line with ESME_ROK means the SMSC took the message
    log_event('submit_sm', peer => $peer, seq => $seq + 0, status => $STATUS{$status}, message_id => $mid,
        source_addr => $pdu->{source_addr}, destination_addr => $dest, esm_class => $pdu->{esm_class} + 0,
        data_coding => $pdu->{data_coding} + 0, registered_delivery => $pdu->{registered_delivery} + 0,
        text => $text, sm_length => length($sm), %$concat);
    my $due = time + ($c->{resp_delay_ms} // 0) / 1000;
    push @later, [ $due, sub {
        if ($status == ROK) { $conn->submit_sm_resp(seq => $seq, message_id => $mid) }
        else { header_only(SUBMIT_SM, $status, $seq) }
    } ];
    if ($status == ROK && $c->{dlr} && ($pdu->{registered_delivery} & 0x03)) {
        my $r = { mid => $mid, from => $dest, to => $pdu->{source_addr},
            stat => (ref $c->{dlr_stat} eq 'HASH' ? $c->{dlr_stat}{$dest} : undef) // 'DELIVRD',
            dec => (($c->{dlr_id} // 'hex') eq 'dec' ? 1 : 0), date => strftime('%y%m%d%H%M', localtime) };
        push @later, [ $due + ($c->{dlr_delay_ms} // 50) / 1000, sub { send_receipt($r) }, $r ];
    }
    @later = sort { $a->[0] <=> $b->[0] } @later;
}

sub send_receipt {
    my ($r) = @_;
    my $shown = $r->{dec} ? hex($r->{mid}) : $r->{mid};
    my $ok = $r->{stat} eq 'DELIVRD';
    my $receipt = sprintf 'id:%s sub:001 dlvrd:%s submit date:%s done date:%s stat:%s err:%s text:',
        $shown, ($ok ? '001' : '000'), $r->{date}, strftime('%y%m%d%H%M', localtime), $r->{stat}, ($ok ? '000' : '001');
    my %tlv = $r->{dec} ? () : (receipted_message_id => "$r->{mid}\0");
    $tlv{message_state} = chr($MSG_STATE{ $r->{stat} } // 7);
    my @seqs = deliver(kind => 'dlr', from => $r->{from}, to => $r->{to}, esm_class => 0x04, data_coding => 0,
        bodies => [$receipt], tlv => \%tlv, receipt_for => $r->{mid}, stat => $r->{stat});
    $pending_dlr{$_} = $r for @seqs;
}

# A receipt this session cannot hand over waits for the next bound session of the same system_id.
my $spooled = 0;
sub spool_receipt {
    my ($r, $why, $delay) = @_;
    return unless $SPOOL && defined $sid;
    my $dir = "$SPOOL/" . ($sid =~ s/[^\w.-]/_/gr);
    mkdir $SPOOL unless -d $SPOOL;
    mkdir $dir unless -d $dir;
    my $name = sprintf '%015d-%d-%d', int((time + ($delay // 0)) * 1000), $$, ++$spooled;
    open my $fh, '>', "$dir/$name.tmp" or return;
    print $fh $JSON->encode($r);
    close $fh;
    rename "$dir/$name.tmp", "$dir/$name.json";
    log_event('dlr_spooled', peer => $peer, receipt_for => $r->{mid}, reason => $why);
}

sub poll_spool {
    return unless $SPOOL && defined $sid;
    my $dir = "$SPOOL/" . ($sid =~ s/[^\w.-]/_/gr);
    opendir my $dh, $dir or return;
    my $now = int(time * 1000);
    my @files = sort grep { /^(\d+)-.*\.json$/ && $1 <= $now } readdir $dh;
    closedir $dh;
    for my $f (@files) {
        my $claim = "$dir/$f.$$";
        rename "$dir/$f", $claim or next;    # another session took it
        open my $fh, '<', $claim or next;
        my $r = eval { local $/; $JSON->decode(<$fh>) };
        close $fh;
        unlink $claim;
        send_receipt($r) if ref $r eq 'HASH';
    }
}

# The session ends: owed submit_sm_resps are answered (unbind) or lost (closed), receipts not yet handed
# over (or handed over and not answered) go to the spool for another session.
sub spool_unsent {
    my ($why) = @_;
    for my $e (@later) { spool_receipt($e->[2], $why) if $e->[2] }
    @later = grep { !$_->[2] } @later;
    spool_receipt($_, "$why (unanswered)") for values %pending_dlr;
    %pending_dlr = ();
}

sub deliver {
    my (%m) = @_;
    my @bodies = @{ $m{bodies} };
    my $ref = int rand 256;
    my @seqs;
    for my $i (0 .. $#bodies) {
        my ($esm, $sm) = ($m{esm_class}, $bodies[$i]);
        if (@bodies > 1) { $esm |= 0x40; $sm = pack('C6', 5, 0, 3, $ref, scalar @bodies, $i + 1) . $sm }
        my $seq = $conn->deliver_sm(source_addr => $m{from} // '', destination_addr => $m{to} // '',
            esm_class => $esm, data_coding => $m{data_coding}, short_message => $sm, %{ $m{tlv} // {} }, async => 1);
        $pending{$seq} = $m{kind};
        push @seqs, $seq;
        log_event('deliver_sm', peer => $peer, seq => $seq + 0, kind => $m{kind}, source_addr => $m{from},
            destination_addr => $m{to}, (defined $m{receipt_for} ? (receipt_for => $m{receipt_for}, stat => $m{stat}) : ()),
            (defined $m{text} ? (text => $m{text}) : ()));
    }
    return @seqs;
}

sub poll_mo {
    opendir my $dh, $MO_DIR or return;
    my @files = sort grep { /\.json$/ } readdir $dh;
    closedir $dh;
    for my $f (@files) {
        my $path = "$MO_DIR/$f";
        my $claim = "$path.$$";
        rename $path, $claim or next;    # another connection took it
        open my $fh, '<', $claim or next;
        my $m = eval { local $/; $JSON->decode(<$fh>) };
        close $fh;
        unlink $claim;
        next unless ref $m eq 'HASH';
        my @chars = split //, $m->{text} // '';
        my @bodies;
        if (@chars <= 70) { @bodies = (encode('UTF-16BE', $m->{text} // '')) }
        else { push @bodies, encode('UTF-16BE', join '', splice @chars, 0, 67) while @chars }
        deliver(kind => 'mo', from => $m->{from}, to => $m->{to} // '12320', esm_class => 0, data_coding => 8,
            bodies => \@bodies, text => $m->{text});
    }
}

sub serve {
    $peer = $conn->peerhost . ':' . $conn->peerport;
    log_event('connect', peer => $peer);
    my $sel = IO::Select->new($conn);
    my $next_mo = 0;
    my $why = 'eof';
    LOOP: while (1) {
        my $wait = 0.1;
        if (@later) { my $d = $later[0][0] - time; $wait = $d < $wait ? ($d < 0 ? 0 : $d) : $wait }
        if ($sel->can_read($wait)) {
            my $pdu = $conn->read_pdu;
            last LOOP unless $pdu;
            my $cmd = $pdu->{cmd};
            if ($cmd == BIND_TRX || $cmd == BIND_TX || $cmd == BIND_RX) {
                if (!on_bind($pdu)) { select undef, undef, undef, 0.3; $why = 'bind failed'; last LOOP }
            }
            elsif ($cmd == ENQUIRE_LINK) { $conn->enquire_link_resp(seq => $pdu->{seq}) }
            elsif ($cmd == SUBMIT_SM) { on_submit($pdu) }
            elsif ($cmd == UNBIND) {
                spool_unsent('unbind');     # no deliver_sm to a session that is leaving
                $_->[1]->() for @later;    # answer what is owed before saying goodbye
                @later = ();
                $conn->unbind_resp(seq => $pdu->{seq});
                log_event('unbind', peer => $peer);
                select undef, undef, undef, 0.2;
                $why = 'unbind';
                last LOOP;
            }
            elsif ($cmd & 0x80000000) {
                my $kind = delete $pending{ $pdu->{seq} };
                my $r = delete $pending_dlr{ $pdu->{seq} };
                # refused (e.g. ESME_RX_T_APPN: the gateway could not record it): offered again in a second
                spool_receipt($r, 'deliver_sm_resp ' . $pdu->{status}, 1) if $r && $pdu->{status} != 0;
                log_event('deliver_sm_resp', peer => $peer, seq => $pdu->{seq} + 0, kind => $kind,
                    command_status => $pdu->{status} + 0) if defined $kind;
            }
            else { $conn->syswrite(pack 'NNNN', 16, GENERIC_NACK, RINVCMDID, $pdu->{seq}) }
        }
        last LOOP if getppid() != $PARENT;
        while (@later && $later[0][0] <= time) { (shift @later)->[1]->() }
        if ($bound && time >= $next_mo) { poll_mo() if $MO_DIR; poll_spool(); $next_mo = time + 0.1 }
    }
    spool_unsent($why) unless $why eq 'unbind';
    log_event('disconnect', peer => $peer, reason => $why);
    $conn->close;
}

# ---------------------------------------------------------------- listener
mkdir $MO_DIR if $MO_DIR && !-d $MO_DIR;
my $listener = Net::SMPP->new_listen('127.0.0.1', port => $PORT, timeout => 1)
    or die "smsc: cannot listen on 127.0.0.1:$PORT: $!\n";
my %children;
$SIG{CHLD} = sub { while ((my $p = waitpid(-1, WNOHANG)) > 0) { delete $children{$p} } };
$SIG{TERM} = $SIG{INT} = sub { kill 'TERM', keys %children; exit 0 };
log_event('listening', port => $listener->sockport + 0);
print 'READY port=' . $listener->sockport . "\n";
while (1) {
    my $c = $listener->accept or next;
    my $pid = fork;
    if (!defined $pid) { $c->close; next }
    if ($pid == 0) {
        $SIG{$_} = 'DEFAULT' for qw(CHLD TERM INT);
        $listener->close;
        $conn = $c;
        control();
        serve();
        exit 0;
    }
    $children{$pid} = 1;
    $c->close;
}
