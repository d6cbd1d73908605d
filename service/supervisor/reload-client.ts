/**
 * The reload client esteps runs in a container for a hot patch, without starting Node there:
 * a Node start in the container (80 to 150 ms of CPU, more on a busy machine) was the longest
 * wait between the engine starting the exec and the supervisor getting the request. The
 * client is a short perl script (perl-base is an essential package of every Debian and Ubuntu
 * image: IO::Socket::UNIX and Fcntl are part of it) started by `sh`; where perl, or its
 * socket module, is missing, the same exec runs the Node client (contract.ts,
 * reloadClientScript) instead. Both read the same input (reloadClientInput) and print the
 * same answer line (the supervisor's own, as the control socket gave it). An image without
 * `sh` is the caller's to handle (cli/engine/patch-replica.ts runs `node -e` directly then).
 *
 * Imports nothing beyond contract.ts: the CLI carries it, the supervisor's bundle does not.
 */
import {
  defaultSocketPath,
  reloadClientScript,
  reloadTimeoutMs,
  socketVariable,
} from './contract.js';

/**
 * The perl client: reads `reload <file>` or `write <size> <file>` and the code from stdin
 * (stdin ending first: exit 2, nothing asked), writes the release when given (beside it, then
 * renamed onto it, mode 0644; a failure answers `writeFailed`), sends the reload request on
 * the supervisor's socket, prints its answer line, exits 0 when it says ok. Its first
 * argument is the Node client, which it runs instead when IO::Socket::UNIX cannot be loaded.
 * No `writeMs` in its answer: perl-base has no clock finer than a second.
 */
const perlClient = [
  "eval{require IO::Socket::UNIX;require Fcntl;1}or exec('node','-e',$ARGV[0])or exit 127;",
  '$SIG{PIPE}="IGNORE";binmode STDIN;binmode STDOUT;',
  `my $s=$ENV{${socketVariable}}||"${defaultSocketPath}";`,
  'sub js{my $v=shift;$v=~s/(["\\\\])/\\\\$1/g;$v=~s/([\\x00-\\x1f])/sprintf("\\\\u%04x",ord $1)/ge;"\\"$v\\""}',
  'sub say{syswrite STDOUT,"$_[0]\\n";exit($_[1]?0:1)}',
  'sub fail{say(\'{"ok":false,\'.($_[1]||"").\'"error":\'.js($_[0]).\',"output":""}\',0)}',
  'my $h=<STDIN>;exit 2 unless defined $h&&$h=~s/\\n\\z//;my($f,$n);',
  'if($h=~/^reload (.+)\\z/s){$f=$1}elsif($h=~/^write (\\d+) (.+)\\z/s){($n,$f)=($1,$2)}else{exit 2}',
  'if(defined $n){my $d="";while(length($d)<$n){read(STDIN,$d,$n-length($d),length($d))or exit 2}',
  'my $t="$f.$$.tmp";my $o;',
  'unless(sysopen($o,$t,Fcntl::O_WRONLY()|Fcntl::O_CREAT()|Fcntl::O_TRUNC(),0644)&&binmode($o)',
  '&&(print $o $d)&&close($o)&&rename($t,$f)){my $e="$!";unlink $t;fail("writing $f: $e",\'"writeFailed":true,\')}}',
  `$SIG{ALRM}=sub{fail("no answer from the supervisor within ${reloadTimeoutMs} ms")};alarm(${reloadTimeoutMs / 1000});`,
  'my $c=IO::Socket::UNIX->new(Peer=>$s)or fail("supervisor not reachable at $s: $!");',
  '$c->autoflush(1);print $c \'{"cmd":"reload","file":\'.js($f)."}\\n";my $r=<$c>;',
  'fail("the supervisor closed the connection without answering")unless defined $r&&$r=~s/\\n\\z//;',
  'say($r,$r=~/"ok":true[,}]/);',
].join('');

/**
 * `sh -c` picks the client: perl when the image has it, else Node. `$1` is the perl client,
 * `$2` the Node one (each a single argument, so nothing in them is the shell's to parse).
 */
const chooseClient = 'command -v perl >/dev/null 2>&1 && exec perl -e "$1" "$2"; exec node -e "$2"';

/**
 * The command of a reload client that finds the socket where the supervisor does (the
 * exec inherits the container's environment) or at `socketPath` (tests).
 */
export function reloadClientCommand(socketPath?: string): string[] {
  const node = reloadClientScript(socketPath);
  const perl =
    socketPath === undefined
      ? perlClient
      : `$ENV{${socketVariable}}='${socketPath.replace(/[\\']/g, '\\$&')}';${perlClient}`;
  return ['sh', '-c', chooseClient, 'esteps-reload', perl, node];
}
