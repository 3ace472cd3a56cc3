# nyckel — svenska. Alla meddelanden här finns också i da.ftl och en.ftl med
# samma argument och select-nycklar (tests/catalogs.rs). Meddelanden vars
# namn slutar på -html innehåller markup och formateras med escapade argument.

## Datum och tider (dansk tid; argumenten kommer färdigformaterade)

month-name = { $month ->
    [1] januari
    [2] februari
    [3] mars
    [4] april
    [5] maj
    [6] juni
    [7] juli
    [8] augusti
    [9] september
    [10] oktober
    [11] november
   *[12] december
  }
weekday-name = { $weekday ->
    [mon] måndag
    [tue] tisdag
    [wed] onsdag
    [thu] torsdag
    [fri] fredag
    [sat] lördag
   *[sun] söndag
  }
time-of-day = { $hour }.{ $minute }
date-day-month = { $day } { $month }
date = { $day } { $month } { $year }
date-time = { $date } kl. { $time } ({ $zone })
weekday-date-time = { $weekday } { $date } kl. { $time }
weekday-time = { $weekday } kl. { $time }

## Alla sidor

skip-to-content = Hoppa till innehållet
nav-label = Huvudmeny
nav-my = Min nyckel
nav-help = Hjälp
lang-switch-label = Språk
footer-support = Supporttelefon:
footer-help = Hjälp och öppettider
footer-never-asks = nyckel ber aldrig om ditt lösenord eller dina koder per telefon eller e-post.
error-prefix = Fel
next-step-heading = Det här kan du göra
action-next = Nästa
action-log-in = Logga in
action-log-out = Logga ut
label-name = Namn
label-address = Adress
label-user-id = Användar-ID
label-password = Lösenord
label-username = Användarnamn
label-status = Tillstånd
label-key = Nyckel
label-code = Kod
report-label = Vad är fel?
report-button = Rapportera
report-thanks = Tack: din rapport har registrerats. Kontakta medborgarservice i din kommun för att rätta folkbokföringen.
report-invalid = Beskriv vad som är fel med högst 1000 tecken.

## Startsidan

index-title = Välkommen
index-heading = nyckel — din nyckel till offentliga tjänster och din bank
index-intro = Logga in med ditt användar-ID, CPR-nummer eller användarnamn, ditt lösenord och en kod från ditt kodkort.
demo-heading = Demoanvändare
demo-intro = Det här är en demoinstallation. Logga in som demoanvändaren:
demo-card-summary = Demoanvändarens kodkort ({ $count ->
    [one] { $count } nyckel
   *[other] { $count } nycklar
  })
keycard-table-caption = Nyckelnummer och kod

## Inloggning

login-title = Logga in
login-heading = Logga in
login-for-service-html = Du loggar in på <strong class="service-name">{ $service }</strong>.
login-for-my = Du loggar in på Min nyckel.
lost-card-banner = Spärra ett förlorat kodkort: ange ditt användar-ID och ditt lösenord. Du behöver inte kodkortet, och du loggas inte in.
lost-card-link = Har du tappat bort ditt kodkort?
login-cancel-to-service = Avbryt och gå tillbaka till { $service }
login-cancel = Avbryt inloggningen
login-name-label = Användar-ID, CPR-nummer eller användarnamn
login-name-hint = Första gången? Ange användar-ID:t från ditt aktiveringsbrev.
password-title = Lösenord
password-heading = Ange ditt lösenord
password-logging-in-as-html = Du loggar in som <strong class="login-name">{ $name }</strong>.
password-of-html = För <strong class="login-name">{ $name }</strong>.
password-not-you = Inte du?
password-label = Lösenord (eller aktiveringskoden från ditt brev)
choose-title = Välj ditt lösenord
choose-intro = Din aktiveringskod godkändes. Välj det lösenord du ska använda från och med nu.
choose-rules-intro = Ditt lösenord ska vara:
choose-rule-length = { $min } till { $max } tecken
choose-rule-personal = inte ditt användar-ID, ditt CPR-nummer eller ditt användarnamn, och inte ordet "lösenord"
choose-rule-common = inte ett vanligt lösenord
choose-new-label = Nytt lösenord
choose-confirm-label = Upprepa det nya lösenordet
choose-save = Spara lösenordet
terms-title = Användarvillkor
terms-heading = Användarvillkor (version { $version })
terms-you-heading = Är det här du?
terms-you-intro = Folkbokföringen (CPR) har de här uppgifterna om dig. Ditt certifikat kommer att innehålla dem.
terms-wrong-summary = Uppgifterna är fel
terms-list-heading = Villkoren
terms-v1-rule-1 = Håll ditt lösenord, ditt användar-ID och dina koder för dig själv. Dela dem aldrig med någon — inte med familjen, inte med din bank, inte med någon som ringer eller skriver och säger sig vara nyckel. nyckel ber aldrig om en kod per telefon eller e-post.
terms-v1-rule-2 = Det du gör med din nyckel binder dig precis som din namnteckning: det du godkänner eller skriver under med den är din handling.
terms-v1-rule-3 = Spärra din nyckel genast om du misstänker att någon annan känner till ditt lösenord eller har ditt kodkort eller din enhet: i Min nyckel eller genom att ringa supporten.
terms-v1-rule-4 = Godkänn bara en inloggning, betalning eller underskrift som du själv har påbörjat och vars text du har läst.
terms-accept-label = Jag har läst och godkänner användarvillkoren
terms-accept-button = Godkänn och fortsätt
keycard-title = Kodkort
keycard-heading = Ange koden från ditt kodkort
keycard-challenge-html = Leta upp nyckelnummer <strong class="key">{ $key }</strong> på kort <strong>{ $card }</strong> och skriv den sexsiffriga koden bredvid.
keycard-code-label = Kod för nyckel { $key }
keycard-new-card-question = Har du fått ditt nya kodkort ({ $card })?
keycard-use-new-card = Använd mitt nya kort

## Vad som var fel i ett formulär

problem-login-name = Ange ditt användar-ID, CPR-nummer eller användarnamn.
problem-wrong-user-or-password = Fel användar-ID eller lösenord.
problem-password-unchanged = Det nya lösenordet är det du har nu. Välj ett nytt.
problem-passwords-differ = De två lösenorden är inte likadana. Skriv samma lösenord två gånger.
problem-terms = Kryssa i rutan för att godkänna användarvillkoren. Utan dem kan du inte använda nyckel.
problem-paused = För din säkerhet är inloggning med det här namnet från en webbläsare som du inte har loggat in med tidigare pausad till { $until } efter flera felaktiga försök. Ditt lösenord kontrollerades inte. Försök igen efter den tiden, eller logga in från en enhet som du har använt tidigare.
problem-wrong-code-last = Fel kod för nyckel { $key }. Den nyckeln kan inte användas igen. Se upp: en felaktig kod till spärrar ditt kodkort. Ange koden för det nya nyckelnumret som visas.
problem-wrong-code = Fel kod för nyckel { $key }. Den nyckeln kan inte användas igen: ange koden för det nya nyckelnumret som visas.
password-too-short = Lösenordet måste vara minst { $min } tecken långt.
password-too-long = Lösenordet får vara högst { $max } tecken långt.
password-contains-user-id = Lösenordet får inte innehålla ditt användar-ID.
password-contains-cpr = Lösenordet får inte innehålla ditt CPR-nummer.
password-contains-alias = Lösenordet får inte innehålla ditt användarnamn.
password-contains-word = Lösenordet får inte innehålla ordet "{ $word }".
password-ten-digits = Lösenordet får inte innehålla 10 siffror i rad.
password-common = Lösenordet är för vanligt: det hör till de första som angripare provar.
password-common-word = Lösenordet är det vanliga ordet "{ $word }" med bara några få siffror eller tecken tillagda eller utbytta: sådana provar angripare först.
password-keyboard-walk = Lösenordet är en rad intilliggande tangenter på tangentbordet: sådana provar angripare först.
password-space = Lösenordet får inte börja eller sluta med ett mellanslag.
password-control = Lösenordet får inte innehålla radbrytningar, tabbar eller andra styrtecken.

## En inloggning som tog slut

ended-throttled-heading = För många försök
ended-throttled-text = Det har gjorts för många inloggningsförsök från ditt nätverk. Vänta en minut och försök igen.
ended-throttled-next = På en enhet där du har loggat in tidigare kan du logga in som vanligt.
ended-identity-blocked-heading = Din nyckel är spärrad
ended-identity-blocked-text = Din nyckel har spärrats, så du kan inte logga in med den.
ended-no-card-heading = Inget kodkort som kan användas
ended-no-card-blocked-text = Ditt kodkort är spärrat, så nyckel kan inte be dig om en kod, och inget nytt kort är på väg.
ended-no-card-used-text = Alla nycklar på ditt kodkort är använda och inget nytt kort är på väg, så nyckel kan inte be dig om en kod.
ended-card-blocked-heading = Ditt kodkort är spärrat
ended-card-blocked-text = För många felaktiga koder angavs, så ditt kodkort har spärrats.
ended-superseded-heading = Inloggningen ersattes
ended-superseded-text = Nyckel { $key } gäller inte längre: du påbörjade en nyare inloggning i ett annat fönster, som bad om en annan nyckel. Nyckeln som efterfrågades här räknas som en felaktig kod. Fortsätt i det andra fönstret eller börja om.
ended-activation-used-heading = Din aktiveringskod har använts
ended-activation-used-text = Ett lösenord har redan valts med den här aktiveringskoden, i ett annat fönster eller på en annan enhet. Logga in med det lösenordet.
ended-other-heading = Din inloggning har avslutats
ended-other-text = Börja om.

## Vad du kan göra, och supporten

hint-support-html = Om du har glömt ditt lösenord, eller om det eller ditt kodkort är spärrat, { $line } eller besök medborgarservice. Se hjälpsidan.
hint-key-card-html = Kontrollera att du läser på kortet vars nummer visas, och koden som står bredvid nyckelnumret. Om ditt kodkort är borttappat, förbrukat eller spärrat, { $line }.
hint-new-card-html = Beställ ett nytt kodkort på sidan <a href="/lost-card">Har du tappat bort ditt kodkort?</a> med ditt användar-ID och ditt lösenord: det skickas till din adress i CPR-registret. Eller { $line }.
support-line-open-html = ring supporten på <a href="tel:{ $tel }">{ $phone }</a> (öppet nu)
support-line-closed-html = ring supporten på <a href="tel:{ $tel }">{ $phone }</a> (stängt nu)
support-line-opens-html = ring supporten på <a href="tel:{ $tel }">{ $phone }</a> (stängt nu, öppnar { $when })
link-my = Till Min nyckel
link-start-again = Börja om
link-log-in-again = Logga in igen

## Fel på vilken sida som helst

not-found-heading = Sidan finns inte
not-found-text = Det finns ingen sida på den här adressen.
busy-heading = nyckel är mycket upptaget
busy-text = Väldigt många loggar in just nu. Inget har gått förlorat: vänta en minut och försök igen.
failed-heading = Något gick fel
failed-text = nyckel kunde inte slutföra det du bad om. Inget har ändrats. Försök igen om en stund.
flow-expired-heading = Din inloggning har gått ut
flow-expired-text = Inloggningen tog för lång tid eller påbörjades i ett annat fönster. Börja om.
csrf-heading = Formuläret kunde inte tas emot
csrf-text = Formuläret var inaktuellt eller kom inte från den här webbplatsen. Börja om.
bad-request-heading = Tjänstens inloggningsbegäran är ogiltig
bad-request-text = Tjänsten du kom från skickade en inloggningsbegäran till nyckel som inte kan godtas ({ $detail }). Gå tillbaka till tjänsten och försök igen; meddela tjänsten om det fortsätter att hända.

## Hjälp

help-title = Hjälp
help-support-heading = Supporten
help-call = Ring
help-open-now-html = Supporten är <strong>öppen nu</strong>.
help-open-now-today-html = Supporten är <strong>öppen nu</strong> (i dag { $hours }).
help-closed-now-html = Supporten är <strong>stängd nu</strong>.
help-closed-now-opens-html = Supporten är <strong>stängd nu</strong>. Den öppnar { $when }.
help-hours-heading = Öppettider
help-weekdays = Måndag till fredag: { $hours }
help-weekends = Helger och helgdagar: { $hours }
help-special-day = { $date }: { $hours }
hours-closed = stängt
help-what-heading = Vad gör jag om…
help-q-forgotten = du har glömt ditt lösenord eller det är spärrat
help-a-forgotten = Ring supporten. När supporten har kontrollerat vem du är skickar den en ny aktiveringskod med brev; logga in med den och välj ett nytt lösenord.
help-q-lost = ditt kodkort är borttappat, stulet eller förbrukat
help-a-lost = Spärra det direkt på sidan "Har du tappat bort ditt kodkort?" med ditt användar-ID och ditt lösenord, i Min nyckel eller genom att ringa supporten. Ett nytt kort skickas till din adress i CPR-registret.
help-q-compromised = du tror att någon annan känner till ditt lösenord eller dina koder
help-a-compromised = Spärra hela din nyckel i Min nyckel, eller ring supporten, nu.
help-q-none = du inte har någon nyckel än
help-a-none = Boka en tid hos medborgarservice (Borgerservice) och ta med en giltig fotolegitimation, eller fråga din bank. Från utlandet kan du ansöka på nätet med ett danskt pass eller ett danskt körkort.

## Samtycke

consent-title = Dela dina uppgifter?
consent-heading = { $service } ber om dina uppgifter
consent-intro-html = Du har loggat in. Innan du går vidare till <strong>{ $service }</strong> delar nyckel exakt detta med dem:
consent-remembered = nyckel kommer ihåg ditt svar för { $service }. Du kan när som helst ta tillbaka det i Min nyckel.
consent-allow = Tillåt och fortsätt
consent-deny = Dela inte
shared-pairwise = En pseudonym identitet för dig, densamma varje gång du använder den här tjänsten
shared-name = Ditt namn
shared-uuid = Ditt personliga nyckel-UUID
shared-cpr = Ditt CPR-nummer
shared-login-substantial = När du loggade in och hur (lösenord och kodkort: tillitsnivå Väsentlig)

## Utloggning

logout-title = Logga ut från nyckel?
logout-asked-by-html = <strong>{ $service }</strong> ber nyckel att logga ut dig.
logout-asked-by-page = En sida ber nyckel att logga ut dig.
logout-explain = Om du loggar ut måste du logga in igen nästa gång en tjänst ber om din nyckel.
logout-stay = Förbli inloggad
logged-out-heading = Du är utloggad
logged-out-text = Du har loggats ut från nyckel.

## Min nyckel

my-title = Min nyckel
my-you-heading = Du
my-no-username = inget
my-report-summary = Är namn eller adress fel?
my-alias-choose = Välj ett användarnamn
my-alias-change = Byt användarnamn
my-alias-label = Användarnamn (5–48 tecken, minst en bokstav)
my-alias-hint = Visas som du skriver det. När du loggar in räknas stora och små bokstäver som samma.
my-alias-save = Spara användarnamnet
label-letter-language = Språk i dina brev
my-language-summary = Byt språk i dina brev
my-language-save = Spara språket
my-language-unknown = Välj danska, engelska eller svenska.
notice-language = Språket i dina brev har sparats. Brev och kodkort skickas från och med nu på det språket.
my-cred-heading = Dina inloggningsmedel
label-issued = Utfärdat
label-last-used = Senast använt
my-never-used = —
confirm-block-key-card-heading = Spärra ditt kodkort?
confirm-block-key-card-text = Kodkort { $card } slutar fungera direkt, även i en inloggning som redan har påbörjats.
confirm-block-key-card-new = Vi skickar ett nytt kodkort med posten till { $address }, din adress i CPR-registret (du kan själv beställa högst { $max } extra kort per år). Tills det kommer kan du inte logga in med kodkort.
confirm-block-key-card-button = Spärra och skicka ett nytt kort
confirm-block-key-card-none = Inget av dina kodkort fungerar nu, så inget spärras.
confirm-block-key-card-on-its-way = Ditt nya kodkort { $card } är redan på väg med posten till { $address } och spärras inte, så inget annat kort beställs. Logga in med det när det kommer.
confirm-block-key-card-limit = Inget nytt kort kan beställas här: du har redan beställt { $max ->
    [one] ett extra kodkort
   *[other] { $max } extra kodkort
} i år, det högsta antal du själv kan beställa. Ring supporten för att få ett nytt.
confirm-block-key-card-only = Spärra kodkortet
confirm-order-card-button = Skicka mig ett nytt kort
lost-card-cancel = Avbryt: spärra ingenting
address-unshown = din adress
lost-card-done = Klar: tillbaka till början
back-to-my = Tillbaka till Mitt nyckel
confirm-block-password-heading = Spärra ditt lösenord?
confirm-block-password-text = Ditt lösenord slutar fungera direkt. För att använda nyckel igen behöver du en ny aktiveringskod: ring supporten, så kommer den med brev.
confirm-block-password-button = Spärra mitt lösenord
confirm-block-identity-heading = Spärra hela din nyckel?
confirm-block-identity-text = Ingen kan logga in med din nyckel förrän supporten häver spärren efter att ha kontrollerat vem du är. Du loggas ut direkt.
confirm-block-cancel = Nej, gå tillbaka till Min nyckel
card-replaced-heading = Ditt kodkort är spärrat
card-replaced-text = Ingen kan logga in med det längre. Ett nytt kodkort, { $card }, är på väg med posten till { $address }, din adress i CPR-registret. Det brukar komma inom 5 arbetsdagar.
card-ordered-heading = Ett nytt kodkort är på väg
card-ordered-text = Kodkort { $card } är på väg med posten till { $address }, din adress i CPR-registret. Använd ditt nuvarande kort så länge: första gången du loggar in med det nya slutar det gamla att fungera.
card-on-its-way-text = Ditt nya kodkort { $card } är redan på väg, så inget mer kort beställdes.
card-limit-text = Inget nytt kort beställdes: du har redan beställt { $max } extra kodkort i år, det högsta antal du själv kan beställa. Ring supporten för att få ett nytt.
label-keys-left = Nycklar kvar
keys-left = { $left } av { $total }
my-order-card-heading = Ett nytt kodkort
my-order-card-text = Är kortet slitet, eller är det få nycklar kvar? Beställ ett nytt. Det kommer med posten till din adress i CPR-registret, och ditt kort fungerar tills du använder det nya första gången.
my-order-card-button = Beställ ett nytt kodkort
my-block-key-card = Spärra kodkortet
my-block-password = Spärra lösenordet
my-block-all-heading = Spärra allt
my-block-all-text = Misstänker du att någon annan känner till ditt lösenord eller har ditt kodkort? Spärra hela din nyckel på en gång. Ring supporten för att häva spärren.
my-block-all-button = Spärra hela min nyckel
my-consents-heading = Tjänster som får dina uppgifter
my-no-consents = Du har inte gett någon tjänst tillåtelse att få dina uppgifter.
my-consent-since = sedan { $since }
my-withdraw = Ta tillbaka
my-activity-heading = Senaste aktivitet
my-no-activity = Ingen aktivitet än.
my-activity-caption = Senaste aktivitet, nyast först
label-when = När
label-what = Vad
label-where = Var
my-choose-what = Välj vad som ska spärras.
my-block-failed = Kunde inte spärra: { $reason ->
    [already-blocked] det är redan spärrat.
    [final] det har tagits ur bruk eller återkallats.
    [needs-support] bara supporten kan ändra det.
   *[nothing] det finns inget sådant att spärra.
  }
alias-refused = Användarnamnet kan inte användas: { $reason ->
    [too-short] det måste vara minst 5 tecken långt.
    [too-long] det får vara högst 48 tecken långt.
    [character] det får bara innehålla bokstäver, siffror, mellanslag och tecknen - _ . @ '
   *[no-letter] det måste innehålla minst en bokstav.
  }
alias-taken = Användarnamnet är upptaget. Välj ett annat.
blocked-all-heading = Din nyckel är spärrad
blocked-all-text = Hela din nyckel är nu spärrad: ingen kan logga in med den. Du har loggats ut.
blocked-all-next-html = Ring supporten på <a href="tel:{ $tel }">{ $phone }</a> för att häva spärren.
notice-ready = Din nyckel är klar. Från och med nu loggar du in med ditt användar-ID eller användarnamn, ditt lösenord och en kod från ditt kodkort, här och hos alla tjänster som använder nyckel. Förvara kodkortet åtskilt från ditt lösenord, och spärra det här om du tappar bort det.
change-password-heading = Byt ditt lösenord
change-password-current-label = Ditt nuvarande lösenord
change-password-cancel = Avbryt och gå tillbaka till Min nyckel
change-password-choose = Välj ditt nya lösenord
change-password-banner = Byt ditt lösenord: ange ditt nuvarande lösenord, sedan en kod från ditt kodkort och sedan det nya lösenordet.
my-password-heading = Lösenord
my-password-text = Byt ditt lösenord när du vill, och genast om du tror att någon annan känner till det. Du behöver ditt nuvarande lösenord och ditt kodkort.
my-password-button = Byt lösenord
notice-password = Ditt lösenord är bytt. Använd det nya från och med nu. Du är utloggad överallt annars: i andra webbläsare och hos de tjänster där du har använt nyckel.
notice-blocked-password = Ditt lösenord är spärrat. Ring supporten för att häva spärren: du får en ny aktiveringskod med brev.
notice-alias = Ditt användarnamn har sparats. Nu kan du logga in med det.
notice-withdrawn = Tjänsten får inte längre dina uppgifter. Den frågar dig igen nästa gång du loggar in där.
credential-name = { $kind ->
    [activation-code] Aktiveringskod
    [password] Lösenord
    [key-card] Kodkort
    [app-device] Kodapp
    [code-token] Koddosa
   *[passkey] Säkerhetsnyckel (chip)
  }
credential-key-card = Kodkort { $card }
credential-status = { $status ->
    [pending] på väg / inte använt än
    [active] aktivt
    [blocked-by-holder] spärrat av dig
    [blocked-by-support] spärrat av supporten
    [locked-by-failures] spärrat efter för många felaktiga försök
    [retired] inte längre i bruk
   *[revoked] återkallat
  }
identity-status = { $status ->
    [pending-activation] inte aktiverad än
    [active] aktiv
    [blocked-by-holder] spärrad av dig
    [blocked-by-support] spärrad av supporten
    [blocked-by-operator] spärrad av nyckel
    [suspended] avstängd
   *[revoked] återkallad
  }
consent-gives = { $cpr ->
    [yes] { $name ->
        [yes] en identitet för dig, ditt namn, ditt CPR-nummer
       *[no] en identitet för dig, ditt CPR-nummer
      }
   *[no] { $name ->
        [yes] en identitet för dig, ditt namn
       *[no] en identitet för dig
      }
  }

## Brev och det tryckta kodkortet

letter-activation-title = nyckel — ditt aktiveringsbrev
letter-user-id = Ditt användar-ID: { $user_id }
letter-activation-code = Din aktiveringskod: { $code } (gäller till och med { $until })
letter-activation-how = Du aktiverar din nyckel på { $url }/login: ange ditt användar-ID och tryck på Nästa, och ange sedan aktiveringskoden som lösenord. Du väljer ditt eget lösenord, godkänner användarvillkoren och anger en kod från ditt kodkort.
letter-keep-apart = Förvara det här brevet och ditt kodkort åtskilda. Ge aldrig dina koder till någon: nyckel ber aldrig om en kod per telefon eller e-post.
keycard-print-title = nyckel kodkort
keycard-print-card = Kort
keycard-print-holder = Innehavare
keycard-print-warning = Ge aldrig dina koder till någon. nyckel ber aldrig om en kod per telefon eller e-post.
keycard-print-how-to = När du loggar in visar nyckel ett nyckelnummer. Skriv den sexsiffriga koden som står bredvid. Varje kod fungerar en gång.
keycard-print-caption = Kodkort { $card }: { $count ->
    [one] { $count } engångskod
   *[other] { $count } engångskoder
  }

## Aktiviteten i Min nyckel

act-logged-in = Loggade in på { $service }
act-wrong-key-card = Fel kod från kodkortet angavs
act-unanswered-key-card = En kod från kodkortet efterfrågades men angavs inte (räknas som fel kod)
act-wrong-password = Fel lösenord angavs
act-locked = Inloggningsförsök medan din nyckel var pausad eller spärrad
act-failed = Misslyckat inloggningsförsök
act-blocked = { $part ->
    [password] Lösenordet spärrades
    [key-card] Kodkortet spärrades
    [identity] Hela din nyckel spärrades
   *[other] Ett inloggningsmedel spärrades
  }
act-unblocked = { $part ->
    [password] Spärren av lösenordet hävdes
    [key-card] Spärren av kodkortet hävdes
    [identity] Spärren av hela din nyckel hävdes
   *[other] Spärren av ett inloggningsmedel hävdes
  }
act-credential-locked = { $credential ->
    [password] Lösenordet spärrades efter för många felaktiga försök
    [key-card] Kodkortet spärrades efter för många felaktiga försök
    [activation-code] Aktiveringskoden spärrades efter för många felaktiga försök
   *[other] Ett inloggningsmedel spärrades efter för många felaktiga försök
  }
act-untrusted-locked = Inloggningar från okända enheter pausades efter felaktiga försök
act-password-set = Lösenord valt
act-password-changed = Lösenord bytt (utloggad överallt annars)
act-terms-accepted = Användarvillkoren godkändes
act-activated = nyckel aktiverades
act-issued = nyckel utfärdades
act-refused = En ansökan om nyckel avslogs
act-card-ordered = Nytt kodkort skickat
act-alias-set = Användarnamnet ändrades
act-consent-given = Gav { $service } tillåtelse att få dina uppgifter
act-consent-given-unnamed = Gav en tjänst tillåtelse att få dina uppgifter
act-consent-withdrawn = Tog tillbaka tillåtelsen för { $service } att få dina uppgifter
act-consent-withdrawn-unnamed = Tog tillbaka en tjänsts tillåtelse att få dina uppgifter
act-register-reported = Rapporterade fel namn eller adress
act-letter-printed = { $kind ->
    [key-card] Kodkortet skrevs ut
    [activation-letter] Aktiveringsbrevet skrevs ut
   *[other] Ett brev skrevs ut
  }
act-letter-sent = { $kind ->
    [key-card] Kodkortet skickades
    [activation-letter] Aktiveringsbrevet skickades
   *[other] Ett brev skickades
  }
act-replayed = En tjänsts inloggning användes två gånger: tjänstens åtkomst stoppades
act-cpr-match = En tjänst jämförde ett CPR-nummer med ditt
act-imported = Dina uppgifter uppdaterades från folkbokföringen
act-other = Annan aktivitet
