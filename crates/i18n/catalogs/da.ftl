# nyckel — dansk. Alle beskeder her findes også i en.ftl og sv.ftl med de
# samme argumenter og select-nøgler (tests/catalogs.rs). Beskeder, hvis navn
# ender på -html, indeholder markup og formateres med escapede argumenter.

## Datoer og klokkeslæt (dansk tid; argumenterne kommer færdigformaterede)

month-name = { $month ->
    [1] januar
    [2] februar
    [3] marts
    [4] april
    [5] maj
    [6] juni
    [7] juli
    [8] august
    [9] september
    [10] oktober
    [11] november
   *[12] december
  }
weekday-name = { $weekday ->
    [mon] mandag
    [tue] tirsdag
    [wed] onsdag
    [thu] torsdag
    [fri] fredag
    [sat] lørdag
   *[sun] søndag
  }
time-of-day = { $hour }.{ $minute }
date-day-month = { $day }. { $month }
date = { $day }. { $month } { $year }
date-time = { $date } kl. { $time } ({ $zone })
weekday-date-time = { $weekday } den { $date } kl. { $time }
weekday-time = { $weekday } kl. { $time }

## Alle sider

skip-to-content = Gå til indhold
nav-label = Hovedmenu
nav-my = Mit nyckel
nav-help = Hjælp
lang-switch-label = Sprog
footer-support = Support:
footer-help = Hjælp og åbningstider
footer-never-asks = nyckel beder aldrig om din adgangskode eller dine koder på telefon eller e-mail.
error-prefix = Fejl
next-step-heading = Det kan du gøre
action-next = Næste
action-log-in = Log på
action-log-out = Log af
label-name = Navn
label-address = Adresse
label-user-id = Bruger-ID
label-password = Adgangskode
label-username = Brugernavn
label-status = Status
label-key = Nøgle
label-code = Kode
report-label = Hvad er forkert?
report-button = Indberet
report-thanks = Tak. Vi har modtaget din indberetning. Kontakt Borgerservice i din kommune for at få oplysningerne rettet i Folkeregistret.
report-invalid = Beskriv, hvad der er forkert, med højst 1000 tegn.

## Forsiden

index-title = Velkommen
index-heading = nyckel — din nøgle til det offentlige og din bank
index-intro = Log på med dit bruger-ID, CPR-nummer eller brugernavn, din adgangskode og en kode fra dit nøglekort.
demo-heading = Demobruger
demo-intro = Dette er en demoinstallation. Log på som demobrugeren:
demo-card-summary = Demobrugerens nøglekort ({ $count ->
    [one] { $count } nøgle
   *[other] { $count } nøgler
  })
keycard-table-caption = Nøglenummer og kode

## Log på

login-title = Log på
login-heading = Log på
login-for-service-html = Du logger på <strong class="service-name">{ $service }</strong>.
login-for-my = Du logger på Mit nyckel.
lost-card-banner = Spær et mistet nøglekort: indtast dit bruger-ID og din adgangskode. Du skal ikke bruge nøglekortet, og du bliver ikke logget på.
lost-card-link = Mistet dit nøglekort?
login-cancel-to-service = Afbryd og gå tilbage til { $service }
login-cancel = Afbryd login
login-name-label = Bruger-ID, CPR-nummer eller brugernavn
login-name-hint = Første gang? Indtast bruger-ID'et fra dit aktiveringsbrev.
password-title = Adgangskode
password-heading = Indtast din adgangskode
password-logging-in-as-html = Du logger på som <strong class="login-name">{ $name }</strong>.
password-of-html = Det gælder <strong class="login-name">{ $name }</strong>.
password-not-you = Er det ikke dig?
password-label = Adgangskode (eller aktiveringskoden fra dit brev)
choose-title = Vælg din adgangskode
choose-intro = Din aktiveringskode er godkendt. Vælg den adgangskode, du vil bruge fremover.
choose-rules-intro = Krav til din adgangskode:
choose-rule-length = { $min } til { $max } tegn
choose-rule-personal = ikke dit bruger-ID, dit CPR-nummer eller dit brugernavn og ikke ordet «adgangskode»
choose-rule-common = ikke en almindelig adgangskode
choose-new-label = Ny adgangskode
choose-confirm-label = Gentag den nye adgangskode
choose-save = Gem adgangskode
terms-title = Brugervilkår
terms-heading = Brugervilkår (version { $version })
terms-you-heading = Er det dig?
terms-you-intro = Folkeregistret (CPR) har disse oplysninger om dig. De kommer til at stå i dit certifikat.
terms-wrong-summary = Oplysningerne er forkerte
terms-list-heading = Vilkårene
terms-v1-rule-1 = Hold din adgangskode, dit bruger-ID og dine koder for dig selv. Del dem aldrig med nogen — heller ikke med din familie, din bank eller nogen, der ringer eller skriver og siger, at de er fra nyckel. nyckel beder aldrig om en kode på telefon eller e-mail.
terms-v1-rule-2 = Når du bruger din nøgle, binder det dig på samme måde som din underskrift med pen: Det, du godkender eller underskriver med den, har du selv gjort.
terms-v1-rule-3 = Spær din nøgle med det samme, hvis du tror, at en anden kender din adgangskode eller har dit nøglekort eller din enhed. Det kan du gøre i Mit nyckel eller ved at ringe til supporten.
terms-v1-rule-4 = Godkend kun et login, en betaling eller en underskrift, som du selv har startet, og hvis tekst du har læst.
terms-accept-label = Jeg har læst og accepterer brugervilkårene
terms-accept-button = Acceptér og fortsæt
keycard-title = Nøglekort
keycard-heading = Indtast koden fra dit nøglekort
keycard-challenge-html = Find nøglenummer <strong class="key">{ $key }</strong> på kort <strong>{ $card }</strong>, og indtast den 6-cifrede kode, der står ved siden af.
keycard-code-label = Kode til nøgle { $key }
keycard-new-card-question = Har du fået dit nye nøglekort ({ $card })?
keycard-use-new-card = Brug mit nye kort

## Hvad der var forkert i en formular

problem-login-name = Indtast dit bruger-ID, CPR-nummer eller brugernavn.
problem-wrong-user-or-password = Forkert bruger-ID eller adgangskode.
problem-password-unchanged = Den nye adgangskode er den, du har nu. Vælg en ny.
problem-passwords-differ = De to adgangskoder er ikke ens. Skriv den samme adgangskode to gange.
problem-terms = Sæt flueben for at acceptere brugervilkårene. Uden dem kan du ikke bruge nyckel.
problem-paused = Af hensyn til din sikkerhed er login med dette navn fra en browser, du ikke har logget på med før, sat på pause indtil { $until } efter flere forkerte forsøg. Din adgangskode blev ikke kontrolleret. Prøv igen efter det tidspunkt, eller log på fra en enhed, du har brugt før.
problem-wrong-code-last = Forkert kode til nøgle { $key }. Den nøgle kan ikke bruges igen. Pas på: én forkert kode mere spærrer dit nøglekort. Indtast koden til det nye nøglenummer, der vises.
problem-wrong-code = Forkert kode til nøgle { $key }. Den nøgle kan ikke bruges igen. Indtast koden til det nye nøglenummer, der vises.
password-too-short = Adgangskoden skal være på mindst { $min } tegn.
password-too-long = Adgangskoden må højst være på { $max } tegn.
password-contains-user-id = Adgangskoden må ikke indeholde dit bruger-ID.
password-contains-cpr = Adgangskoden må ikke indeholde dit CPR-nummer.
password-contains-alias = Adgangskoden må ikke indeholde dit brugernavn.
password-contains-word = Adgangskoden må ikke indeholde ordet «{ $word }».
password-ten-digits = Adgangskoden må ikke indeholde 10 cifre i træk.
password-common = Adgangskoden er for almindelig. Den er blandt de første, som angribere prøver.
password-common-word = Adgangskoden er det almindelige ord «{ $word }» med kun nogle få cifre eller tegn tilføjet eller byttet ind. Den slags prøver angribere først.
password-keyboard-walk = Adgangskoden er en række taster, der sidder ved siden af hinanden på tastaturet. Den slags prøver angribere først.
password-space = Adgangskoden må ikke begynde eller slutte med et mellemrum.
password-control = Adgangskoden må ikke indeholde linjeskift, tabulatorer eller andre kontroltegn.

## Et login, der sluttede

ended-throttled-heading = For mange forsøg
ended-throttled-text = Der har været for mange forsøg på at logge på fra dit netværk. Vent et minut, og prøv igen.
ended-throttled-next = På en enhed, hvor du har logget på før, kan du logge på som normalt.
ended-identity-blocked-heading = Dit nyckel er spærret
ended-identity-blocked-text = Dit nyckel er blevet spærret, så du kan ikke logge på med det.
ended-no-card-heading = Intet nøglekort, du kan bruge
ended-no-card-blocked-text = Dit nøglekort er spærret, så nyckel kan ikke bede dig om en kode, og der er ikke et nyt kort på vej.
ended-no-card-used-text = Alle nøgler på dit nøglekort er brugt, og der er ikke et nyt kort på vej, så nyckel kan ikke bede dig om en kode.
ended-card-blocked-heading = Dit nøglekort er spærret
ended-card-blocked-text = Der blev indtastet for mange forkerte koder, så dit nøglekort er blevet spærret.
ended-superseded-heading = Dette login er blevet erstattet
ended-superseded-text = Nøgle { $key } gælder ikke længere. Du har startet et nyere login i et andet vindue, og det bad om en anden nøgle. Den nøgle, der blev bedt om her, tæller som en forkert kode. Fortsæt i det andet vindue, eller start forfra.
ended-activation-used-heading = Din aktiveringskode er brugt
ended-activation-used-text = Der er allerede valgt en adgangskode med denne aktiveringskode, i et andet vindue eller på en anden enhed. Log på med den adgangskode.
ended-other-heading = Dit login er afsluttet
ended-other-text = Start forfra.

## Hvad du kan gøre nu, og supportens telefon

hint-support-html = Hvis du har glemt din adgangskode, eller hvis den eller dit nøglekort er spærret, så { $line }, eller gå til Borgerservice i din kommune. Se hjælpesiden.
hint-key-card-html = Tjek, at du kigger på det kort, hvis nummer vises, og på den kode, der står ved siden af nøglenummeret. Hvis dit nøglekort er mistet, brugt op eller spærret, så { $line }.
hint-new-card-html = Bestil et nyt nøglekort på siden <a href="/lost-card">Mistet dit nøglekort?</a> med dit bruger-ID og din adgangskode: det sendes til din adresse i CPR-registret. Eller { $line }.
support-line-open-html = ring til supporten på <a href="tel:{ $tel }">{ $phone }</a> (åben nu)
support-line-closed-html = ring til supporten på <a href="tel:{ $tel }">{ $phone }</a> (lukket nu)
support-line-opens-html = ring til supporten på <a href="tel:{ $tel }">{ $phone }</a> (lukket nu, åbner { $when })
link-my = Gå til Mit nyckel
link-start-again = Start forfra
link-log-in-again = Log på igen

## Fejl på alle sider

not-found-heading = Siden findes ikke
not-found-text = Der er ingen side på denne adresse.
busy-heading = nyckel har meget travlt
busy-text = Der er for mange, der logger på lige nu. Intet er gået tabt. Vent et minut, og prøv igen.
failed-heading = Noget gik galt
failed-text = nyckel kunne ikke gennemføre din handling. Intet er blevet ændret. Prøv igen om lidt.
flow-expired-heading = Dit login er udløbet
flow-expired-text = Det tog for lang tid at logge på, eller du startede i et andet vindue. Start forfra.
csrf-heading = Formularen kunne ikke modtages
csrf-text = Formularen var forældet eller kom ikke fra dette websted. Start forfra.
bad-request-heading = Tjenestens anmodning om login er ikke gyldig
bad-request-text = Den tjeneste, du kom fra, har sendt nyckel en anmodning om login, som ikke kan godkendes ({ $detail }). Gå tilbage til tjenesten, og prøv igen. Hvis det sker igen, så sig det til tjenesten.

## Hjælp

help-title = Hjælp
help-support-heading = Telefonsupport
help-call = Ring
help-open-now-html = Supporten er <strong>åben nu</strong>.
help-open-now-today-html = Supporten er <strong>åben nu</strong> (i dag { $hours }).
help-closed-now-html = Supporten er <strong>lukket nu</strong>.
help-closed-now-opens-html = Supporten er <strong>lukket nu</strong>. Den åbner { $when }.
help-hours-heading = Åbningstider
help-weekdays = Mandag til fredag: { $hours }
help-weekends = Weekender og helligdage: { $hours }
help-special-day = { $date }: { $hours }
hours-closed = lukket
help-what-heading = Hvad gør du, hvis…
help-q-forgotten = du har glemt din adgangskode, eller den er spærret
help-a-forgotten = Ring til supporten. Når supporten har tjekket, hvem du er, får du en ny aktiveringskode med brev. Log på med den, og vælg en ny adgangskode.
help-q-lost = dit nøglekort er mistet, stjålet eller brugt op
help-a-lost = Spær det med det samme på siden "Mistet dit nøglekort?" med dit bruger-ID og din adgangskode, i Mit nyckel eller ved at ringe til support. Et nyt kort sendes til din adresse i CPR-registret.
help-q-compromised = du tror, at en anden kender din adgangskode eller dine koder
help-a-compromised = Spær hele dit nyckel i Mit nyckel med det samme, eller ring til supporten.
help-q-none = du endnu ikke har fået et nyckel
help-a-none = Bestil tid hos Borgerservice i din kommune, og tag gyldigt billed-ID med, eller spørg din bank. Fra udlandet kan du søge online med et dansk pas eller et dansk kørekort.

## Samtykke

consent-title = Vil du dele dine oplysninger?
consent-heading = { $service } beder om dine oplysninger
consent-intro-html = Du er logget på. Før du går videre til <strong>{ $service }</strong>, deler nyckel præcis dette med tjenesten:
consent-remembered = nyckel husker dit svar til { $service }. Du kan altid trække det tilbage i Mit nyckel.
consent-allow = Tillad og fortsæt
consent-deny = Del ikke
shared-pairwise = Et pseudonymt ID for dig, som er det samme, hver gang du bruger denne tjeneste
shared-name = Dit navn
shared-uuid = Dit personlige nyckel-UUID
shared-cpr = Dit CPR-nummer
shared-login-substantial = Hvornår og hvordan du loggede på (adgangskode og nøglekort: sikringsniveau Betydelig)

## Log af

logout-title = Vil du logge af nyckel?
logout-asked-by-html = <strong>{ $service }</strong> beder nyckel om at logge dig af.
logout-asked-by-page = En side beder nyckel om at logge dig af.
logout-explain = Hvis du logger af, skal du logge på igen, næste gang en tjeneste beder om dit nyckel.
logout-stay = Bliv logget på
logged-out-heading = Du er logget af
logged-out-text = Du er blevet logget af nyckel.

## Mit nyckel

my-title = Mit nyckel
my-you-heading = Dig
my-no-username = intet
my-report-summary = Er navn eller adresse forkert?
my-alias-choose = Vælg et brugernavn
my-alias-change = Skift dit brugernavn
my-alias-label = Brugernavn (5–48 tegn, mindst ét bogstav)
my-alias-hint = Vises, som du skriver det. Når du logger på, er store og små bogstaver det samme.
my-alias-save = Gem brugernavn
label-letter-language = Sprog i dine breve
my-language-summary = Skift sprog i dine breve
my-language-save = Gem sprog
my-language-unknown = Vælg dansk, engelsk eller svensk.
notice-language = Sproget i dine breve er gemt. Breve og nøglekort sendes fremover på det sprog.
my-cred-heading = Dine loginmidler
label-issued = Udstedt
label-last-used = Sidst brugt
my-never-used = —
confirm-block-key-card-heading = Spær dit nøglekort?
confirm-block-key-card-text = Nøglekort { $card } holder op med at virke med det samme, også i et login, der allerede er i gang.
confirm-block-key-card-new = Vi sender dig et nyt nøglekort med posten til { $address }, din adresse i CPR-registret (du kan selv bestille højst { $max } ekstra kort om året). Indtil det kommer, kan du ikke logge på med nøglekort.
confirm-block-key-card-button = Spær og send mig et nyt kort
confirm-block-key-card-none = Ingen af dine nøglekort virker nu, så intet bliver spærret.
confirm-block-key-card-on-its-way = Dit nye nøglekort { $card } er allerede på vej med posten til { $address } og bliver ikke spærret, så der bestilles ikke noget andet kort. Log på med det, når det kommer.
confirm-block-key-card-limit = Der kan ikke bestilles et nyt kort her: du har allerede bestilt { $max ->
    [one] ét ekstra nøglekort
   *[other] { $max } ekstra nøglekort
} i år, det højeste antal du selv kan bestille. Ring til support for at få et nyt.
confirm-block-key-card-only = Spær nøglekortet
confirm-order-card-button = Send mig et nyt kort
lost-card-cancel = Afbryd: spær ingenting
address-unshown = din adresse
lost-card-done = Færdig: tilbage til forsiden
back-to-my = Tilbage til Mit nyckel
confirm-block-password-heading = Spær din adgangskode?
confirm-block-password-text = Din adgangskode holder op med at virke med det samme. For at bruge nyckel igen skal du have en ny aktiveringskode: ring til support, så kommer den med brev.
confirm-block-password-button = Spær min adgangskode
confirm-block-identity-heading = Spær hele dit nyckel?
confirm-block-identity-text = Ingen kan logge på med dit nyckel, før support ophæver spærringen efter at have kontrolleret, hvem du er. Du bliver logget af med det samme.
confirm-block-cancel = Nej, gå tilbage til Mit nyckel
card-replaced-heading = Dit nøglekort er spærret
card-replaced-text = Ingen kan logge på med det længere. Et nyt nøglekort, { $card }, er på vej med posten til { $address }, din adresse i CPR-registret. Det kommer normalt inden for 5 hverdage.
card-ordered-heading = Et nyt nøglekort er på vej
card-ordered-text = Nøglekort { $card } er på vej med posten til { $address }, din adresse i CPR-registret. Brug dit nuværende kort indtil da: første gang du logger på med det nye, holder det gamle op med at virke.
card-on-its-way-text = Dit nye nøglekort { $card } er allerede på vej, så der blev ikke bestilt et kort mere.
card-limit-text = Der blev ikke bestilt et nyt kort: du har allerede bestilt { $max } ekstra nøglekort i år, det højeste antal, du selv kan bestille. Ring til support for at få et nyt.
label-keys-left = Nøgler tilbage
keys-left = { $left } af { $total }
my-order-card-heading = Et nyt nøglekort
my-order-card-text = Er kortet slidt, eller er der få nøgler tilbage? Bestil et nyt. Det kommer med posten til din adresse i CPR-registret, og dit kort virker, indtil du bruger det nye første gang.
my-order-card-button = Bestil et nyt nøglekort
my-block-key-card = Spær nøglekort
my-block-password = Spær adgangskode
my-block-all-heading = Spær det hele
my-block-all-text = Tror du, at en anden kender din adgangskode eller har dit nøglekort? Spær hele dit nyckel med det samme. Ring til supporten for at ophæve spærringen.
my-block-all-button = Spær hele mit nyckel
my-consents-heading = Tjenester, der får dine oplysninger
my-no-consents = Du har ikke givet nogen tjeneste lov til at få dine oplysninger.
my-consent-since = siden { $since }
my-withdraw = Træk tilbage
my-activity-heading = Seneste aktivitet
my-no-activity = Ingen aktivitet endnu.
my-activity-caption = Seneste aktivitet, nyeste først
label-when = Hvornår
label-what = Hvad
label-where = Hvor
my-choose-what = Vælg, hvad du vil spærre.
my-block-failed = Kunne ikke spærre: { $reason ->
    [already-blocked] det er allerede spærret.
    [final] det er taget ud af brug eller tilbagekaldt.
    [needs-support] kun supporten kan ændre det.
   *[nothing] der er ikke noget af den slags at spærre.
  }
alias-refused = Brugernavnet kan ikke bruges: { $reason ->
    [too-short] det skal være på mindst 5 tegn.
    [too-long] det må højst være på 48 tegn.
    [character] det må kun indeholde bogstaver, cifre, mellemrum og tegnene - _ . @ '
   *[no-letter] det skal indeholde mindst ét bogstav.
  }
alias-taken = Brugernavnet er optaget. Vælg et andet.
blocked-all-heading = Dit nyckel er spærret
blocked-all-text = Hele dit nyckel er nu spærret. Ingen kan logge på med det. Du er blevet logget af.
blocked-all-next-html = Ring til supporten på <a href="tel:{ $tel }">{ $phone }</a> for at ophæve spærringen.
notice-ready = Dit nyckel er klar. Fremover logger du på med dit bruger-ID eller brugernavn, din adgangskode og en kode fra dit nøglekort, her og hos alle tjenester, der bruger nyckel. Opbevar nøglekortet adskilt fra din adgangskode, og spær det her, hvis du mister det.
change-password-heading = Skift din adgangskode
change-password-current-label = Din nuværende adgangskode
change-password-cancel = Afbryd og gå tilbage til Mit nyckel
change-password-choose = Vælg din nye adgangskode
change-password-banner = Skift din adgangskode: indtast din nuværende adgangskode, derefter en kode fra dit nøglekort og så den nye adgangskode.
my-password-heading = Adgangskode
my-password-text = Skift din adgangskode, når du vil, og med det samme, hvis du tror, at andre kender den. Du skal bruge din nuværende adgangskode og dit nøglekort.
my-password-button = Skift adgangskode
notice-password = Din adgangskode er skiftet. Brug den nye fremover. Du er logget ud alle andre steder: i andre browsere og hos de tjenester, hvor du har brugt nyckel.
notice-blocked-password = Din adgangskode er spærret. Ring til supporten for at ophæve spærringen. Du får en ny aktiveringskode med brev.
notice-alias = Dit brugernavn er gemt. Nu kan du logge på med det.
notice-withdrawn = Tjenesten får ikke længere dine oplysninger. Den spørger dig igen, næste gang du logger på der.
credential-name = { $kind ->
    [activation-code] Aktiveringskode
    [password] Adgangskode
    [key-card] Nøglekort
    [app-device] Kodeapp
    [code-token] Kodeviser
   *[passkey] Chip (sikkerhedsnøgle)
  }
credential-key-card = Nøglekort { $card }
credential-status = { $status ->
    [pending] på vej / endnu ikke brugt
    [active] aktiv
    [blocked-by-holder] spærret af dig
    [blocked-by-support] spærret af supporten
    [locked-by-failures] spærret efter for mange forkerte forsøg
    [retired] ikke længere i brug
   *[revoked] tilbagekaldt
  }
identity-status = { $status ->
    [pending-activation] endnu ikke aktiveret
    [active] aktivt
    [blocked-by-holder] spærret af dig
    [blocked-by-support] spærret af supporten
    [blocked-by-operator] spærret af nyckel
    [suspended] midlertidigt stoppet
   *[revoked] tilbagekaldt
  }
consent-gives = { $cpr ->
    [yes] { $name ->
        [yes] et ID for dig, dit navn, dit CPR-nummer
       *[no] et ID for dig, dit CPR-nummer
      }
   *[no] { $name ->
        [yes] et ID for dig, dit navn
       *[no] et ID for dig
      }
  }

## Breve og det trykte nøglekort

letter-activation-title = nyckel — dit aktiveringsbrev
letter-user-id = Dit bruger-ID: { $user_id }
letter-activation-code = Din aktiveringskode: { $code } (gælder til og med { $until })
letter-activation-how = Du aktiverer din nøgle på { $url }/login: indtast dit bruger-ID og tryk Næste, og indtast så aktiveringskoden som adgangskode. Du vælger din egen adgangskode, godkender brugervilkårene og indtaster en kode fra dit nøglekort.
letter-keep-apart = Opbevar dette brev og dit nøglekort hver for sig. Giv aldrig dine koder til nogen: nyckel beder aldrig om en kode på telefon eller e-mail.
keycard-print-title = nyckel nøglekort
keycard-print-card = Kort
keycard-print-holder = Indehaver
keycard-print-warning = Giv aldrig dine koder til nogen. nyckel beder aldrig om en kode på telefon eller e-mail.
keycard-print-how-to = Når du logger på, viser nyckel et nøglenummer. Indtast den 6-cifrede kode, der står ud for det. Hver kode virker én gang.
keycard-print-caption = Nøglekort { $card }: { $count ->
    [one] { $count } engangskode
   *[other] { $count } engangskoder
  }

## Aktiviteten i Mit nyckel

act-logged-in = Logget på { $service }
act-wrong-key-card = Forkert kode fra nøglekortet indtastet
act-unanswered-key-card = Der blev bedt om en kode fra nøglekortet, men den blev ikke indtastet (tæller som en forkert kode)
act-wrong-password = Forkert adgangskode indtastet
act-locked = Forsøg på at logge på, mens dit nyckel var sat på pause eller spærret
act-failed = Mislykket forsøg på at logge på
act-blocked = { $part ->
    [password] Adgangskode spærret
    [key-card] Nøglekort spærret
    [identity] Hele dit nyckel spærret
   *[other] Et loginmiddel spærret
  }
act-unblocked = { $part ->
    [password] Spærring af adgangskode ophævet
    [key-card] Spærring af nøglekort ophævet
    [identity] Spærring af hele dit nyckel ophævet
   *[other] Spærring af et loginmiddel ophævet
  }
act-credential-locked = { $credential ->
    [password] Adgangskode spærret efter for mange forkerte forsøg
    [key-card] Nøglekort spærret efter for mange forkerte forsøg
    [activation-code] Aktiveringskode spærret efter for mange forkerte forsøg
   *[other] Et loginmiddel spærret efter for mange forkerte forsøg
  }
act-untrusted-locked = Login fra ukendte enheder sat på pause efter forkerte forsøg
act-password-set = Adgangskode valgt
act-password-changed = Adgangskode skiftet (logget ud alle andre steder)
act-terms-accepted = Brugervilkår accepteret
act-activated = nyckel aktiveret
act-issued = nyckel udstedt
act-refused = En ansøgning om nyckel blev afvist
act-card-ordered = Nyt nøglekort sendt
act-alias-set = Brugernavn ændret
act-consent-given = Gav { $service } lov til at få dine oplysninger
act-consent-given-unnamed = Gav en tjeneste lov til at få dine oplysninger
act-consent-withdrawn = Trak adgangen til dine oplysninger tilbage fra { $service }
act-consent-withdrawn-unnamed = Trak en tjenestes adgang til dine oplysninger tilbage
act-register-reported = Forkert navn eller adresse indberettet
act-letter-printed = { $kind ->
    [key-card] Nøglekort udskrevet
    [activation-letter] Aktiveringsbrev udskrevet
   *[other] Brev udskrevet
  }
act-letter-sent = { $kind ->
    [key-card] Nøglekort sendt
    [activation-letter] Aktiveringsbrev sendt
   *[other] Brev sendt
  }
act-replayed = En tjenestes login blev brugt to gange, så tjenestens adgang blev stoppet
act-cpr-match = En tjeneste tjekkede et CPR-nummer op mod dit
act-imported = Dine oplysninger blev opdateret fra CPR-registret
act-other = Anden aktivitet
