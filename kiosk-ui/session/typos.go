package session

// popularDomains are the mail providers most learners use, most popular
// first: on a tie in edit distance the earlier one wins.
var popularDomains = []string{
	"gmail.com", "yahoo.com", "hotmail.com", "outlook.com", "icloud.com",
	"aol.com", "live.com", "msn.com", "proton.me", "protonmail.com",
	"gmx.de", "web.de", "gmx.net", "gmx.com",
	"yahoo.fr", "orange.fr", "hotmail.fr", "free.fr", "laposte.net", "sfr.fr", "wanadoo.fr", "outlook.fr", "live.fr",
	"yahoo.es", "hotmail.es", "outlook.es", "telefonica.net",
	"yahoo.co.uk", "hotmail.co.uk", "live.co.uk", "btinternet.com",
	"googlemail.com", "ymail.com", "me.com", "mac.com", "mail.com",
}

// knownDomains are real mail domains that must never draw a suggestion,
// even when they are near a popular one (mail.com is not a gmail.com typo).
var knownDomains = func() map[string]bool {
	m := map[string]bool{}
	for _, d := range popularDomains {
		m[d] = true
	}
	for _, d := range []string{
		"gmx.at", "gmx.ch", "gmx.fr", "gmx.es", "gmx.us", "protonmail.ch", "pm.me",
		"yahoo.de", "yahoo.it", "yahoo.ca", "yahoo.co.jp", "yahoo.com.br", "yahoo.com.mx", "yahoo.com.ar",
		"hotmail.de", "hotmail.it", "hotmail.be", "hotmail.ca", "hotmail.com.br", "hotmail.com.ar",
		"outlook.de", "outlook.it", "outlook.be", "outlook.com.br",
		"live.de", "live.it", "live.be", "live.ca", "live.com.mx", "live.com.ar",
		"neuf.fr", "club-internet.fr", "numericable.fr", "bbox.fr", "aliceadsl.fr",
		"movistar.es", "terra.es", "ono.com", "mail.ru", "yandex.ru", "qq.com", "163.com",
		"zoho.com", "fastmail.com", "tutanota.com", "tuta.io", "hey.com", "aim.com", "rocketmail.com",
	} {
		m[d] = true
	}
	return m
}()

// domainTypos are misspellings seen often enough to list outright; they win
// over the edit-distance guess.
var domainTypos = map[string]string{
	// gmail.com
	"gmial.com": "gmail.com", "gmai.com": "gmail.com", "gamil.com": "gmail.com", "gnail.com": "gmail.com",
	"gmal.com": "gmail.com", "gmaill.com": "gmail.com", "gmil.com": "gmail.com", "gmali.com": "gmail.com",
	"gmsil.com": "gmail.com", "gmaul.com": "gmail.com", "gmeil.com": "gmail.com", "gemail.com": "gmail.com",
	"gimail.com": "gmail.com", "gmaik.com": "gmail.com", "gmqil.com": "gmail.com", "gmail.cm": "gmail.com",
	"gmail.om": "gmail.com", "gmail.co": "gmail.com", "gmail.fr": "gmail.com", "gmail.es": "gmail.com",
	"gmail.comm": "gmail.com", "gmaio.com": "gmail.com", "gmail.cpm": "gmail.com",
	// hotmail
	"hotmial.com": "hotmail.com", "hotmal.com": "hotmail.com", "hotmai.com": "hotmail.com",
	"hotmil.com": "hotmail.com", "hotamil.com": "hotmail.com", "hotnail.com": "hotmail.com",
	"homail.com": "hotmail.com", "hotmaill.com": "hotmail.com", "hptmail.com": "hotmail.com",
	"htomail.com": "hotmail.com", "hormail.com": "hotmail.com", "hotmail.cm": "hotmail.com",
	"hotmail.co": "hotmail.com", "hotmial.fr": "hotmail.fr", "hotmai.fr": "hotmail.fr",
	"hotmal.fr": "hotmail.fr", "hotmial.es": "hotmail.es", "hotmai.es": "hotmail.es", "hotmal.es": "hotmail.es",
	// yahoo
	"yaho.com": "yahoo.com", "yahooo.com": "yahoo.com", "yahho.com": "yahoo.com", "yhaoo.com": "yahoo.com",
	"yaoo.com": "yahoo.com", "yahoo.cm": "yahoo.com", "tahoo.com": "yahoo.com", "yajoo.com": "yahoo.com",
	"yahoo.co": "yahoo.com", "yaho.fr": "yahoo.fr", "yahooo.fr": "yahoo.fr", "yaho.es": "yahoo.es",
	"yahooo.es": "yahoo.es",
	// outlook, live, msn
	"outlok.com": "outlook.com", "outloo.com": "outlook.com", "outllok.com": "outlook.com",
	"oulook.com": "outlook.com", "outook.com": "outlook.com", "putlook.com": "outlook.com",
	"outlool.com": "outlook.com", "outlokk.com": "outlook.com", "outlook.co": "outlook.com",
	"outlok.fr": "outlook.fr", "outlok.es": "outlook.es",
	"live.co": "live.com", "msn.co": "msn.com",
	// icloud
	"iclod.com": "icloud.com", "icoud.com": "icloud.com", "icluod.com": "icloud.com",
	"iclould.com": "icloud.com", "iclound.com": "icloud.com", "icliud.com": "icloud.com",
	"icloud.co": "icloud.com", "icould.com": "icloud.com",
	// others
	"aol.co": "aol.com", "protonmail.co": "protonmail.com", "protonmial.com": "protonmail.com",
	"protomail.com": "protonmail.com", "proton.com": "proton.me", "proton.m": "proton.me",
	"ornage.fr": "orange.fr", "orage.fr": "orange.fr", "orange.com": "orange.fr",
	"lapost.net": "laposte.net", "laposte.fr": "laposte.net", "laposte.com": "laposte.net",
	"wanado.fr": "wanadoo.fr", "telefonica.com": "telefonica.net",
}

// tldTypos fixes a mistyped ".com" or ".net" on any domain: none of these
// is a real top-level domain.
var tldTypos = []struct{ bad, good string }{
	{".con", ".com"}, {".cmo", ".com"}, {".ocm", ".com"}, {".vom", ".com"}, {".xom", ".com"},
	{".comm", ".com"}, {".coom", ".com"}, {".cim", ".com"}, {".nte", ".net"}, {".ner", ".net"},
}
