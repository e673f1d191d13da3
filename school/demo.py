"""The demo data set: people, classrooms, learning material and two weeks of past activity.

``build_demo()`` fills an empty database with a realistic school: 2 teachers, 3 classrooms, 60 learners in
four time zones, 500 real Spanish and French words with English translations in themed word lists, exams,
stories and articles, games and assignments, then about 14 days of learners' past activity (practice
sessions answer by answer, exam submissions, readings, games), each stored both as the platform's rows and
as the learning events the platform logs for them, sharing ids (a session's uuid is its events' session_id).
Practice answers follow a forgetting process (``recall_chance``): a word answered before is recalled as its
memory has decayed since, so the memory model (docs/memory.md) has real forgetting to find in the demo.

Everything comes from one fixed random seed, so two runs on the same day build the same data. The
activity is anchored on the day the demo is built: it ends yesterday, in each learner's own time zone.
The seed is bulk-inserted (about 10,000 events) so that ``make run`` stays quick, even on SQLite.

The assignments (set before the history, due from 9 days ago to 6 days ahead, one due today) are, by the
events, in every state of ``school.classrooms.progress``: not started, in progress, done, and overdue.
"""

from __future__ import annotations

import random
import re
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import models, transaction
from django.utils import timezone
from learning_events import event_types
from learning_events.services import log_events

from school.accounts.models import LearnerProfile
from school.accounts.services import create_person, ensure_profile
from school.classrooms import services as classroom_services
from school.classrooms.models import Assignment, Classroom, Membership
from school.exams.models import Exam, Question, Submission, SubmittedAnswer
from school.games.models import Game, GamePlay
from school.reading.models import Content, Reading
from school.vocabulary.models import PracticeAnswer, PracticeSession, Word, WordList

User = get_user_model()

SEED = 20250601
HISTORY_DAYS = 14
DEMO_PASSWORD = "demo-pass-123"
ADMIN_USERNAME = "admin"
ADMIN_PASSWORD = "admin-pass-123"
TEACHERS = [("teacher1", "Elena Ruiz"), ("teacher2", "Marc Lefèvre")]
MARKER_USERNAME = TEACHERS[0][0]  # present exactly when the demo was built (it is built in one transaction)
LEARNER_COUNT = 60
EVENT_CHUNK = 2000  # events per bulk insert: keeps the IN (...) of the duplicate check well under limits

LANGUAGES = {"es": "Spanish", "fr": "French"}

# The vocabulary: one line per concept, "english|spanish|french", 25 concepts in each of 10 themes.
THEMES: dict[str, str] = {
    "Animals": """
        dog|perro|chien  cat|gato|chat  horse|caballo|cheval  cow|vaca|vache  pig|cerdo|cochon
        sheep|oveja|mouton  goat|cabra|chèvre  hen|gallina|poule  bird|pájaro|oiseau  fish|pez|poisson
        mouse|ratón|souris  rabbit|conejo|lapin  duck|pato|canard  bear|oso|ours  wolf|lobo|loup
        fox|zorro|renard  lion|león|lion  tiger|tigre|tigre  elephant|elefante|éléphant  monkey|mono|singe
        snake|serpiente|serpent  frog|rana|grenouille  bee|abeja|abeille  butterfly|mariposa|papillon
        turtle|tortuga|tortue""",
    "Food and drink": """
        bread|pan|pain  water|agua|eau  milk|leche|lait  cheese|queso|fromage  egg|huevo|œuf
        apple|manzana|pomme  orange|naranja|orange  banana|plátano|banane  strawberry|fresa|fraise
        grape|uva|raisin  potato|patata|pomme de terre  tomato|tomate|tomate  onion|cebolla|oignon
        rice|arroz|riz  meat|carne|viande  chicken|pollo|poulet  soup|sopa|soupe  salt|sal|sel
        sugar|azúcar|sucre  coffee|café|café  tea|té|thé  juice|zumo|jus  cake|pastel|gâteau
        butter|mantequilla|beurre  breakfast|desayuno|petit déjeuner""",
    "Family and people": """
        mother|madre|mère  father|padre|père  brother|hermano|frère  sister|hermana|sœur  son|hijo|fils
        daughter|hija|fille  grandmother|abuela|grand-mère  grandfather|abuelo|grand-père  uncle|tío|oncle
        aunt|tía|tante  cousin|primo|cousin  husband|marido|mari  wife|esposa|femme  baby|bebé|bébé
        child|niño|enfant  boy|chico|garçon  girl|chica|fille  man|hombre|homme  woman|mujer|femme
        friend|amigo|ami  neighbour|vecino|voisin  family|familia|famille  parents|padres|parents
        people|gente|gens  name|nombre|nom""",
    "At home": """
        house|casa|maison  door|puerta|porte  window|ventana|fenêtre  kitchen|cocina|cuisine
        bedroom|dormitorio|chambre  bathroom|baño|salle de bains  table|mesa|table  chair|silla|chaise
        bed|cama|lit  sofa|sofá|canapé  lamp|lámpara|lampe  floor|suelo|sol  wall|pared|mur
        roof|tejado|toit  key|llave|clé  mirror|espejo|miroir  cup|taza|tasse  plate|plato|assiette
        glass|vaso|verre  spoon|cuchara|cuillère  fork|tenedor|fourchette  knife|cuchillo|couteau
        garden|jardín|jardin  stairs|escalera|escalier  clock|reloj|horloge""",
    "Body and health": """
        head|cabeza|tête  hair|pelo|cheveux  face|cara|visage  eye|ojo|œil  ear|oreja|oreille
        nose|nariz|nez  mouth|boca|bouche  tooth|diente|dent  neck|cuello|cou  shoulder|hombro|épaule
        arm|brazo|bras  hand|mano|main  finger|dedo|doigt  leg|pierna|jambe  foot|pie|pied
        knee|rodilla|genou  back|espalda|dos  heart|corazón|cœur  stomach|estómago|estomac
        skin|piel|peau  doctor|médico|médecin  medicine|medicina|médicament  fever|fiebre|fièvre
        cough|tos|toux  hospital|hospital|hôpital""",
    "Clothes and colours": """
        shirt|camisa|chemise  trousers|pantalones|pantalon  skirt|falda|jupe  dress|vestido|robe
        coat|abrigo|manteau  jacket|chaqueta|veste  shoe|zapato|chaussure  sock|calcetín|chaussette
        hat|sombrero|chapeau  scarf|bufanda|écharpe  glove|guante|gant  bag|bolso|sac  red|rojo|rouge
        blue|azul|bleu  green|verde|vert  yellow|amarillo|jaune  black|negro|noir  white|blanco|blanc
        grey|gris|gris  brown|marrón|marron  pink|rosa|rose  purple|morado|violet  belt|cinturón|ceinture
        pocket|bolsillo|poche  button|botón|bouton""",
    "Town and travel": """
        city|ciudad|ville  street|calle|rue  shop|tienda|magasin  market|mercado|marché  bank|banco|banque
        church|iglesia|église  park|parque|parc  bridge|puente|pont  station|estación|gare
        airport|aeropuerto|aéroport  train|tren|train  bus|autobús|bus  car|coche|voiture
        bicycle|bicicleta|vélo  plane|avión|avion  boat|barco|bateau  ticket|billete|billet  map|mapa|carte
        hotel|hotel|hôtel  restaurant|restaurante|restaurant  beach|playa|plage  museum|museo|musée
        library|biblioteca|bibliothèque  suitcase|maleta|valise  passport|pasaporte|passeport""",
    "Nature and weather": """
        sun|sol|soleil  moon|luna|lune  star|estrella|étoile  sky|cielo|ciel  cloud|nube|nuage
        rain|lluvia|pluie  snow|nieve|neige  wind|viento|vent  weather|tiempo|temps  tree|árbol|arbre
        flower|flor|fleur  grass|hierba|herbe  leaf|hoja|feuille  river|río|rivière  sea|mar|mer
        lake|lago|lac  mountain|montaña|montagne  forest|bosque|forêt  island|isla|île  stone|piedra|pierre
        fire|fuego|feu  earth|tierra|terre  storm|tormenta|orage  spring|primavera|printemps
        summer|verano|été""",
    "Time and numbers": """
        day|día|jour  night|noche|nuit  morning|mañana|matin  week|semana|semaine  month|mes|mois
        year|año|année  hour|hora|heure  minute|minuto|minute  today|hoy|aujourd'hui  yesterday|ayer|hier
        Monday|lunes|lundi  Friday|viernes|vendredi  Sunday|domingo|dimanche  autumn|otoño|automne
        winter|invierno|hiver  one|uno|un  two|dos|deux  three|tres|trois  four|cuatro|quatre
        five|cinco|cinq  six|seis|six  seven|siete|sept  eight|ocho|huit  nine|nueve|neuf  ten|diez|dix""",
    "Common verbs": """
        to be|ser|être  to have|tener|avoir  to go|ir|aller  to do|hacer|faire  to say|decir|dire
        to see|ver|voir  to eat|comer|manger  to drink|beber|boire  to sleep|dormir|dormir
        to speak|hablar|parler  to read|leer|lire  to write|escribir|écrire  to listen|escuchar|écouter
        to open|abrir|ouvrir  to close|cerrar|fermer  to buy|comprar|acheter  to live|vivir|vivre
        to work|trabajar|travailler  to play|jugar|jouer  to learn|aprender|apprendre  to know|saber|savoir
        to want|querer|vouloir  to come|venir|venir  to run|correr|courir  to sing|cantar|chanter""",
}

EXAMPLES: dict[tuple[str, str], str] = {
    ("es", "perro"): "El perro de mi vecino ladra por la noche.",
    ("es", "gato"): "Mi gato duerme en el sofá.",
    ("es", "pan"): "Compro pan fresco cada mañana.",
    ("es", "agua"): "¿Me das un vaso de agua, por favor?",
    ("es", "madre"): "Mi madre trabaja en un hospital.",
    ("es", "casa"): "Nuestra casa tiene un jardín pequeño.",
    ("es", "biblioteca"): "Estudio en la biblioteca los martes.",
    ("es", "tren"): "El tren sale a las ocho.",
    ("es", "playa"): "En verano vamos a la playa.",
    ("es", "lluvia"): "Hoy hay mucha lluvia en Madrid.",
    ("es", "comer"): "Vamos a comer a las dos.",
    ("es", "hablar"): "Hablo español con mis amigos.",
    ("fr", "chien"): "Le chien joue dans le jardin.",
    ("fr", "chat"): "Le chat dort sur le lit.",
    ("fr", "pain"): "J'achète du pain à la boulangerie.",
    ("fr", "eau"): "Je bois de l'eau tous les jours.",
    ("fr", "mère"): "Ma mère lit un livre dans le salon.",
    ("fr", "maison"): "Ma maison est près de la gare.",
    ("fr", "gare"): "Le train part de la gare à midi.",
    ("fr", "plage"): "En été, nous allons à la plage.",
    ("fr", "pluie"): "Il y a beaucoup de pluie en automne.",
    ("fr", "manger"): "Nous allons manger au restaurant ce soir.",
    ("fr", "parler"): "Je parle français avec ma grand-mère.",
    ("fr", "fromage"): "La France produit beaucoup de fromage.",
}

# Stories and articles: (kind, language, level, title, body).
CONTENT: list[tuple[str, str, str, str, str]] = [
    ("story", "es", "A1", "El gato de Lucía",
     "Lucía tiene un gato negro. El gato se llama Sombra. Por la mañana, Sombra duerme en el sofá. Por la "
     "tarde, juega en el jardín con una pelota roja. Cuando Lucía vuelve del colegio, el gato corre a la "
     "puerta. Lucía le da leche y agua. Por la noche, los dos leen un libro en la cama. Bueno, Lucía lee y "
     "Sombra escucha."),
    ("story", "es", "A2", "Un sábado en el mercado",
     "Todos los sábados, Carlos va al mercado con su abuela. Salen de casa a las nueve, cuando las calles "
     "todavía están tranquilas. En el mercado compran tomates, cebollas, patatas y una barra de pan. La "
     "abuela conoce a todos los vendedores y habla con ellos durante mucho tiempo. Carlos prefiere el puesto "
     "de fruta, porque el señor Ramón siempre le regala una naranja. Al volver a casa, preparan juntos una "
     "sopa de verduras para toda la familia."),
    ("article", "es", "A2", "La Tomatina de Buñol",
     "La Tomatina es una fiesta muy famosa de Buñol, un pueblo cerca de Valencia. Se celebra el último "
     "miércoles de agosto. Durante una hora, miles de personas se tiran tomates maduros en las calles del "
     "centro. Los participantes llevan ropa vieja y gafas para protegerse los ojos. Cuando termina la "
     "batalla, los vecinos limpian las calles con agua. Hoy la fiesta recibe visitantes de todo el mundo y "
     "es necesario comprar una entrada."),
    ("article", "es", "B1", "El horario español",
     "Muchos visitantes se sorprenden con el horario de España. La comida, la principal del día, suele "
     "empezar entre las dos y las tres de la tarde, y la cena rara vez llega antes de las nueve de la noche. "
     "Una explicación frecuente es histórica: durante años, muchas personas tenían dos trabajos y comían "
     "entre uno y otro. Otra es geográfica: España usa la hora de Europa central aunque gran parte de su "
     "territorio está al oeste de Greenwich, así que el sol sale y se pone tarde. Hoy algunas empresas "
     "proponen horarios más cortos para que las familias pasen más tiempo juntas por la tarde."),
    ("story", "fr", "A1", "Le chien de Paul",
     "Paul a un petit chien blanc. Il s'appelle Biscuit. Le matin, Paul et Biscuit vont au parc. Biscuit "
     "aime courir après les oiseaux, mais il ne les attrape jamais. À midi, Paul mange un sandwich et "
     "Biscuit mange sa viande. L'après-midi, le chien dort sous la table de la cuisine. Le soir, toute la "
     "famille regarde la télévision et Biscuit ronfle sur le canapé."),
    ("story", "fr", "A2", "Un voyage en train",
     "Samedi dernier, Camille a pris le train pour aller chez sa grand-mère à Lyon. Elle est arrivée à la "
     "gare avec quinze minutes d'avance et a acheté un café. Dans le train, elle s'est assise près de la "
     "fenêtre. Elle a regardé les champs, les rivières et les petits villages. Un homme à côté d'elle lisait "
     "un journal et une petite fille dessinait un cheval. Deux heures plus tard, sa grand-mère l'attendait "
     "sur le quai avec un grand sourire et une tarte aux pommes."),
    ("article", "fr", "A2", "La baguette",
     "La baguette est le pain le plus connu de France. Elle est longue, fine et croustillante. Pour la "
     "faire, il faut seulement de la farine, de l'eau, du sel et de la levure. Les Français achètent des "
     "millions de baguettes chaque jour, souvent le matin, à la boulangerie du quartier. En 2022, l'UNESCO "
     "a inscrit les savoir-faire artisanaux et la culture de la baguette au patrimoine culturel immatériel "
     "de l'humanité."),
    ("article", "fr", "B1", "Le Tour de France",
     "Le Tour de France est la course cycliste la plus célèbre du monde. Créé en 1903 par le journal "
     "L'Auto, il a lieu chaque année en juillet et dure environ trois semaines. Les coureurs parcourent plus "
     "de trois mille kilomètres, à travers les plaines, les Alpes et les Pyrénées. Le leader du classement "
     "général porte le maillot jaune, une couleur choisie parce que le journal était imprimé sur du papier "
     "jaune. Traditionnellement, la dernière étape se termine sur les Champs-Élysées, à Paris."),
]

# Exams: (language, title, the themes whose words it asks about).
EXAMS: list[tuple[str, str, tuple[str, ...]]] = [
    (lang, f"{name} quiz: {' and '.join(t.lower() for t in themes)}", themes)
    for lang, name in LANGUAGES.items()
    for themes in (("Animals", "Food and drink"), ("Family and people", "At home"),
                   ("Common verbs", "Time and numbers"))
]
GAME_THEMES = {"matching": ["Animals", "Food and drink", "At home", "Clothes and colours", "Town and travel"],
               "spelling": ["Body and health", "Common verbs"]}

# Classrooms: (name, teacher index, language, learner numbers, extra learners who also belong).
CLASSROOMS = [
    ("Spanish 1A", 0, "es", range(1, 26), []),
    ("Spanish 2B", 0, "es", range(26, 46), []),
    ("French 1", 1, "fr", range(46, 61), [5, 12, 19, 33, 40]),
]
ASSIGNED_THEMES = ("Animals", "Family and people")  # the word lists every classroom is assigned
READING_LEVEL = {"Spanish 1A": "A2", "Spanish 2B": "B1", "French 1": "A2"}  # the hardest text each class reads
# Learners' time zones, weighted per classroom of first membership.
TIME_ZONES = {
    "Spanish 1A": {"Europe/Madrid": 5, "America/Mexico_City": 3, "UTC": 1, "Asia/Tokyo": 1},
    "Spanish 2B": {"America/Mexico_City": 5, "Europe/Madrid": 3, "Asia/Tokyo": 2},
    "French 1": {"Europe/Paris": 5, "Asia/Tokyo": 2, "UTC": 2, "America/Mexico_City": 1},
}
FIRST_NAMES = ["Lucía", "Mateo", "Sofía", "Hugo", "Valentina", "Leo", "Camila", "Daniel", "Emma", "Pablo",
               "Yui", "Haruto", "Chloé", "Lucas", "Amelia", "Noah", "Olivia", "Diego", "Inès", "Jules", "Aiko",
               "Santiago", "Isabella", "Ethan", "Mía", "Sebastián", "Ximena", "Léa", "Ren", "Grace"]
LAST_NAMES = ["García", "Martínez", "López", "Hernández", "Sato", "Tanaka", "Martin", "Bernard", "Smith",
              "Jones", "Rodríguez", "Pérez", "Dubois", "Suzuki", "Brown", "Sánchez", "Moreau", "Flores", "Kim",
              "Taylor"]


@dataclass
class DemoSummary:
    """What ``build_demo`` created (row counts) and how long it took."""

    teachers: int = 0
    learners: int = 0
    classrooms: int = 0
    memberships: int = 0
    words: int = 0
    word_lists: int = 0
    exams: int = 0
    questions: int = 0
    content: int = 0
    games: int = 0
    assignments: int = 0
    practice_sessions: int = 0
    practice_answers: int = 0
    exam_submissions: int = 0
    readings: int = 0
    game_plays: int = 0
    events: int = 0
    seconds: float = 0.0

    def lines(self) -> list[str]:
        return [
            f"people: {self.teachers} teachers, {self.learners} learners, 1 admin; "
            f"{self.classrooms} classrooms, {self.memberships} memberships, {self.assignments} assignments",
            f"material: {self.words} words in {self.word_lists} word lists, {self.exams} exams "
            f"({self.questions} questions), {self.content} stories and articles, {self.games} games",
            f"history ({HISTORY_DAYS} days): {self.practice_sessions} practice sessions "
            f"({self.practice_answers} answers), {self.exam_submissions} exam submissions, "
            f"{self.readings} readings, {self.game_plays} games played; {self.events} learning events",
        ]


def demo_present() -> bool:
    """Whether the demo was built already (its first teacher exists)."""
    return User.objects.filter(username=MARKER_USERNAME).exists()


@transaction.atomic
def build_demo(*, seed: int = SEED, now: datetime | None = None) -> DemoSummary:
    """Build the whole demo data set in one transaction and return what was created.

    ``now`` anchors the history (default: the current time); it ends on the day before, in each learner's
    time zone. Raises ``RuntimeError`` when the demo is present already (see ``demo_present``).
    """
    if demo_present():
        raise RuntimeError(f"The demo data is present already (user {MARKER_USERNAME!r} exists).")
    started = time.monotonic()
    builder = _DemoBuilder(random.Random(seed), now or timezone.now())
    summary = builder.build()
    summary.seconds = round(time.monotonic() - started, 1)
    return summary


def _parse_themes() -> dict[str, list[tuple[str, str, str]]]:
    """``{theme: [(english, spanish, french), ...]}`` from THEMES."""
    return {theme: [tuple(entry.split("|")) for entry in re.split(r"\s{2,}", block.strip())]
            for theme, block in THEMES.items()}


@dataclass
class _Sitting:
    """Where a learner's study sitting is: who, in which classroom, and the clock as it advances."""

    learner: object
    classroom: Classroom
    at: datetime
    skill: float


@dataclass
class _Memory:
    """What a learner retains of a word: its half-life in days, and when they last answered it."""

    half_life: float
    last_at: datetime


@dataclass
class _History:
    """Rows of past activity, each with the instant it happened (auto_now_add fields are set afterwards)."""

    sessions: list[tuple[PracticeSession, datetime, list[tuple[PracticeAnswer, datetime]]]] = field(
        default_factory=list)
    submissions: list[tuple[Submission, datetime, list[SubmittedAnswer]]] = field(default_factory=list)
    readings: list[tuple[Reading, datetime]] = field(default_factory=list)
    plays: list[tuple[GamePlay, datetime]] = field(default_factory=list)


class _DemoBuilder:
    """Builds the demo step by step, drawing every choice from one seeded random generator."""

    def __init__(self, rng: random.Random, now: datetime):
        self.rng = rng
        self.now = now
        self.setup_time = now - timedelta(days=HISTORY_DAYS + 7)  # material and classrooms predate the history
        self.summary = DemoSummary()
        self.memories: dict[tuple[int, int], _Memory] = {}

    def uuid(self) -> uuid.UUID:
        return uuid.UUID(int=self.rng.getrandbits(128), version=4)

    def build(self) -> DemoSummary:
        teachers = self.people()
        self.vocabulary(teachers)
        self.exams(teachers)
        self.content()
        self.games()
        self.classrooms(teachers)
        self.history()
        return self.summary

    # --- people -----------------------------------------------------------------------------------

    def people(self) -> list:
        teachers = [create_person(username=username, password=DEMO_PASSWORD, display_name=name,
                                  email=f"{username}@demo.example", role=LearnerProfile.Role.TEACHER)
                    for username, name in TEACHERS]
        if not User.objects.filter(username=ADMIN_USERNAME).exists():
            ensure_profile(User.objects.create_superuser(ADMIN_USERNAME, f"{ADMIN_USERNAME}@demo.example",
                                                         ADMIN_PASSWORD))
        # One password hash for all learners: hashing is deliberately slow (~0.3 s), and the demo password is
        # public anyway. Learners are otherwise made like create_person makes them: a user and a profile.
        password = make_password(DEMO_PASSWORD)
        zones = {number: self.rng.choices(list(weights), list(weights.values()))[0]
                 for name, _, _, numbers, _ in CLASSROOMS for number in numbers
                 for weights in [TIME_ZONES[name]]}
        users = User.objects.bulk_create([
            User(username=f"learner{n:02d}", email=f"learner{n:02d}@demo.example", password=password,
                 date_joined=self.setup_time)
            for n in range(1, LEARNER_COUNT + 1)
        ])
        profiles = [LearnerProfile(user=user, role=LearnerProfile.Role.LEARNER, time_zone=zones[n],
                                   display_name=f"{self.rng.choice(FIRST_NAMES)} {self.rng.choice(LAST_NAMES)}")
                    for n, user in enumerate(users, start=1)]
        for profile in profiles:
            profile.full_clean(exclude=["user"])
        LearnerProfile.objects.bulk_create(profiles)
        User.objects.filter(pk__in=[t.pk for t in teachers]).update(date_joined=self.setup_time)
        self.learners = {n: user for n, user in enumerate(users, start=1)}
        self.zones = {user.pk: ZoneInfo(zones[n]) for n, user in self.learners.items()}
        self.summary.teachers, self.summary.learners = len(teachers), len(users)
        return teachers

    # --- learning material ------------------------------------------------------------------------

    def vocabulary(self, teachers) -> None:
        themes = _parse_themes()
        wanted = [(lang, concept[i], concept[0]) for i, lang in enumerate(LANGUAGES, start=1)
                  for concepts in themes.values() for concept in concepts]
        Word.objects.bulk_create(
            [Word(language=lang, text=text, translation=translation,
                  example_sentence=EXAMPLES.get((lang, text), "")) for lang, text, translation in wanted],
            ignore_conflicts=True,  # words typed in before the demo are kept and reused
        )
        by_key = {(w.language, w.text, w.translation): w
                  for w in Word.objects.filter(language__in=list(LANGUAGES))}
        self.theme_words: dict[tuple[str, str], list[Word]] = {}
        lists: list[tuple[WordList, list[Word]]] = []
        for i, (lang, language) in enumerate(LANGUAGES.items(), start=1):
            owner = teachers[i - 1]
            for theme, concepts in themes.items():
                words = [by_key[(lang, concept[i], concept[0])] for concept in concepts]
                self.theme_words[(lang, theme)] = words
                lists.append((WordList(name=f"{language} · {theme}", language=lang, owner=owner), words))
            essentials = [w for theme in themes for w in self.theme_words[(lang, theme)][:4]]
            review = [w for theme in themes for w in self.rng.sample(self.theme_words[(lang, theme)], 3)]
            lists.append((WordList(name=f"{language} · 40 essentials", language=lang, owner=owner), essentials))
            lists.append((WordList(name=f"{language} · Review mix", language=lang, owner=owner), review))
        WordList.objects.bulk_create([word_list for word_list, _ in lists])
        WordList.words.through.objects.bulk_create([
            WordList.words.through(wordlist_id=word_list.pk, word_id=word.pk)
            for word_list, words in lists for word in words
        ])
        WordList.objects.filter(pk__in=[wl.pk for wl, _ in lists]).update(created_at=self.setup_time)
        self.word_lists = {wl.name: (wl, words) for wl, words in lists}
        self.summary.words, self.summary.word_lists = len(wanted), len(lists)

    def exams(self, teachers) -> None:
        exams, questions = [], []
        for lang, title, themes in EXAMS:
            owner = teachers[list(LANGUAGES).index(lang)]
            exam = Exam(title=title, language=lang, owner=owner)
            pool = [w for theme in themes for w in self.theme_words[(lang, theme)]]
            asked = self.rng.sample(pool, 10)
            for position, word in enumerate(asked, start=1):
                if position <= 6:
                    others = self.rng.sample(sorted({w.translation for w in pool} - {word.translation}), 3)
                    choices = [word.translation, *others]
                    self.rng.shuffle(choices)
                    questions.append(Question(exam=exam, position=position, kind=Question.Kind.MULTIPLE_CHOICE,
                                              prompt=f"What does “{word.text}” mean?", choices=choices,
                                              correct_answer=word.translation))
                else:
                    questions.append(Question(exam=exam, position=position, kind=Question.Kind.SHORT_TEXT,
                                              prompt=f"Write the {LANGUAGES[lang]} word for “{word.translation}”.",
                                              correct_answer=word.text))
            exams.append(exam)
        Exam.objects.bulk_create(exams)
        for question in questions:
            question.full_clean(exclude=["exam"])
        Question.objects.bulk_create(questions)  # bulk_create takes each exam's new pk from question.exam
        Exam.objects.filter(pk__in=[e.pk for e in exams]).update(created_at=self.setup_time)
        self.exam_list = exams
        self.questions = {exam.pk: [q for q in questions if q.exam_id == exam.pk] for exam in exams}
        self.summary.exams, self.summary.questions = len(exams), len(questions)

    def content(self) -> None:
        pieces = Content.objects.bulk_create([
            Content(kind=kind, language=lang, level=level, title=title, body=body)
            for kind, lang, level, title, body in CONTENT
        ])
        Content.objects.filter(pk__in=[c.pk for c in pieces]).update(created_at=self.setup_time)
        self.pieces = pieces
        self.summary.content = len(pieces)

    def games(self) -> None:
        games = []
        for lang, language in LANGUAGES.items():
            for kind, themes in GAME_THEMES.items():
                verb = "Match" if kind == "matching" else "Spell"
                games += [Game(title=f"{verb} it: {theme.lower()} ({language})", kind=kind,
                               word_list=self._list(lang, theme)) for theme in themes]
        Game.objects.bulk_create(games)
        Game.objects.filter(pk__in=[g.pk for g in games]).update(created_at=self.setup_time)
        self.game_list = games
        self.summary.games = len(games)

    # --- classrooms -------------------------------------------------------------------------------

    def classrooms(self, teachers) -> None:
        self.classrooms_of: dict[int, list[Classroom]] = {}
        today = self.now.date()
        assignments = 0
        for name, teacher_index, lang, numbers, extra in CLASSROOMS:
            classroom = classroom_services.create_classroom(teacher=teachers[teacher_index], name=name,
                                                            language=lang)
            for number in [*numbers, *extra]:
                learner = self.learners[number]
                classroom_services.join_classroom(student=learner, join_code=classroom.join_code)
                self.classrooms_of.setdefault(learner.pk, []).append(classroom)
            story = self._pieces(lang)[0]
            targets = [
                ("Learn the animals", today - timedelta(days=9), {"word_list": self._list(lang, ASSIGNED_THEMES[0])}),
                ("Family words", today + timedelta(days=4), {"word_list": self._list(lang, ASSIGNED_THEMES[1])}),
                ("Quiz: animals and food", today - timedelta(days=3), {"exam": self._exam(lang, 0)}),
                ("Quiz: family and home", today + timedelta(days=6), {"exam": self._exam(lang, 1)}),
                (f"Read “{story.title}”", today, {"content": story}),  # due today: in any "this week"
                ("Play: match the animals", today + timedelta(days=5), {"game": self._games(lang)[0]}),
            ]
            for title, due_date, target in targets:
                classroom_services.create_assignment(classroom=classroom, title=title, due_date=due_date, **target)
                assignments += 1
        classroom_ids = {c.pk for rooms in self.classrooms_of.values() for c in rooms}
        Classroom.objects.filter(pk__in=classroom_ids).update(created_at=self.setup_time)
        Membership.objects.filter(classroom_id__in=classroom_ids).update(
            joined_at=self.setup_time + timedelta(days=2))
        Assignment.objects.filter(classroom_id__in=classroom_ids).update(created_at=self.setup_time + timedelta(days=3))
        self.summary.classrooms = len(classroom_ids)
        self.summary.memberships = sum(len(rooms) for rooms in self.classrooms_of.values())
        self.summary.assignments = assignments

    def _list(self, lang: str, theme: str) -> WordList:
        return self.word_lists[f"{LANGUAGES[lang]} · {theme}"][0]

    def _exam(self, lang: str, index: int) -> Exam:
        return [e for e in self.exam_list if e.language == lang][index]

    def _pieces(self, lang: str, level: str | None = None) -> list[Content]:
        return [c for c in self.pieces if c.language == lang and (level is None or c.level <= level)]

    def _games(self, lang: str) -> list[Game]:
        return [g for g in self.game_list if g.word_list.language == lang]

    # --- history ----------------------------------------------------------------------------------

    def history(self) -> None:
        """Simulate each learner's last HISTORY_DAYS days, store the rows, then log their events."""
        history = _History()
        for user in self.learners.values():
            self.simulate_learner(user, history)
        self.store(history)
        events = self.events(history)
        stored = 0
        for start in range(0, len(events), EVENT_CHUNK):
            stored += log_events(events[start:start + EVENT_CHUNK])
        self.summary.events = stored

    def simulate_learner(self, user, history: _History) -> None:
        rng = self.rng
        rooms = self.classrooms_of[user.pk]
        tz = self.zones[user.pk]
        engagement = rng.uniform(0.3, 0.95)  # chance of studying on a given day
        skill = rng.uniform(0.5, 0.9)  # chance of knowing a word, rising a little each day
        evening = rng.random() < 0.7  # most study after school; some before it
        local_today = self.now.astimezone(tz).date()
        active_days = []
        for offset in range(HISTORY_DAYS, 0, -1):
            day = local_today - timedelta(days=offset)
            if rng.random() > engagement:
                continue
            active_days.append(day)
            hours = sorted(rng.sample(range(16, 22) if evening else range(7, 10), rng.choice([1, 1, 1, 2])))
            for hour in hours:
                start = datetime.combine(day, datetime.min.time(), tzinfo=tz) + timedelta(
                    hours=hour, minutes=rng.randrange(60), seconds=rng.randrange(60))
                sitting = _Sitting(user, rng.choice(rooms), start,
                                   min(0.97, skill + 0.01 * (HISTORY_DAYS - offset)))
                self.study(sitting, history)
        for room in rooms:
            self.sit_exams(user, room, tz, active_days or [local_today - timedelta(days=1)], skill, history)

    def study(self, sitting: _Sitting, history: _History) -> None:
        """One sitting: usually a practice session, sometimes followed by a game or a reading."""
        rng = self.rng
        lang = sitting.classroom.language
        if rng.random() < 0.85:
            self.practise(sitting, history)
        if rng.random() < 0.35:
            self.play(sitting, rng.choice(self._games(lang)), history)
        if rng.random() < 0.3:
            self.read(sitting, rng.choice(self._pieces(lang, READING_LEVEL[sitting.classroom.name])), history)

    def practise(self, sitting: _Sitting, history: _History) -> None:
        rng = self.rng
        language = LANGUAGES[sitting.classroom.language]
        names = [n for n in self.word_lists if n.startswith(language)]
        if rng.random() < 0.5:  # half the time, the lists the teacher assigned
            names = [f"{language} · {theme}" for theme in ASSIGNED_THEMES]
        word_list, words = self.word_lists[rng.choice(names)]
        session = PracticeSession(uuid=self.uuid(), learner=sitting.learner, word_list=word_list,
                                  classroom=sitting.classroom)
        started_at = sitting.at
        answers = []
        for word in rng.sample(words, rng.randint(8, min(20, len(words)))):
            correct = rng.random() < self.recall_chance(sitting, word)
            self.remember(sitting, word, correct)
            response_ms = rng.randint(1200, 6000) if correct else rng.randint(2500, 12000)
            sitting.at += timedelta(milliseconds=response_ms + rng.randint(500, 2500))
            if correct:
                answer = word.translation
            else:  # another word's meaning: the usual mix-up
                answer = rng.choice([w.translation for w in words if w.translation.casefold()
                                     != word.translation.casefold()])
            answers.append((PracticeAnswer(session=session, word=word, answer=answer, correct=correct,
                                           response_ms=response_ms), sitting.at))
        sitting.at += timedelta(seconds=rng.uniform(2, 8))
        session.ended_at = sitting.at
        history.sessions.append((session, started_at, answers))

    def recall_chance(self, sitting: _Sitting, word: Word) -> float:
        """The chance of answering a word right: a new word is known by the learner's skill (long words are
        harder); a word answered before is remembered as its memory has decayed since (half-life forgetting),
        else guessed with 70% of that chance. So the demo has forgetting for the memory model to find."""
        known = sitting.skill - (0.1 if len(word.text) > 7 else 0)
        memory = self.memories.get((sitting.learner.pk, word.pk))
        if memory is None:
            return known
        recall = 0.5 ** ((sitting.at - memory.last_at).total_seconds() / 86400 / memory.half_life)
        return recall + (1 - recall) * known * 0.7

    def remember(self, sitting: _Sitting, word: Word, correct: bool) -> None:
        """A right answer doubles the word's half-life, a wrong one halves it (a first answer sets it: two days
        if right, twelve hours if wrong)."""
        memory = self.memories.get((sitting.learner.pk, word.pk))
        if memory is None:
            self.memories[sitting.learner.pk, word.pk] = _Memory(2.0 if correct else 0.5, sitting.at)
        else:
            memory.half_life = memory.half_life * 2 if correct else max(0.25, memory.half_life / 2)
            memory.last_at = sitting.at

    def play(self, sitting: _Sitting, game: Game, history: _History) -> None:
        rng = self.rng
        _, words = self.word_lists[game.word_list.name]
        played = rng.sample(words, 8)
        right = sum(rng.random() < sitting.skill for _ in played)
        duration = round(rng.uniform(35, 240), 1)
        sitting.at += timedelta(seconds=rng.uniform(10, 60) + duration)
        play = GamePlay(game=game, learner=sitting.learner, classroom=sitting.classroom,
                        score=float(right * 10), duration_seconds=duration, word_ids=[w.pk for w in played])
        history.plays.append((play, sitting.at))

    def read(self, sitting: _Sitting, piece: Content, history: _History) -> None:
        rng = self.rng
        sitting.at += timedelta(seconds=rng.uniform(5, 40))
        reading = Reading(learner=sitting.learner, content=piece, classroom=sitting.classroom)
        viewed_at = sitting.at
        if rng.random() < 0.8:
            reading.duration_seconds = round(len(piece.body.split()) * rng.uniform(0.6, 1.6), 1)
            sitting.at += timedelta(seconds=reading.duration_seconds)
            reading.completed_at = sitting.at
        history.readings.append((reading, viewed_at))

    def sit_exams(self, user, room: Classroom, tz: ZoneInfo, days: Sequence[date], skill: float,
                  history: _History) -> None:
        """Most learners sat the classroom's past-due exam; a few started early on the next one."""
        rng = self.rng
        for exam, chance in ((self._exam(room.language, 0), 0.85), (self._exam(room.language, 1), 0.25)):
            if rng.random() > chance:
                continue
            day = rng.choice(days)
            at = datetime.combine(day, datetime.min.time(), tzinfo=tz) + timedelta(
                hours=rng.randint(17, 21), minutes=rng.randrange(60), seconds=rng.randrange(60))
            submission = Submission(exam=exam, learner=user, classroom=room)
            answers = []
            for question in self.questions[exam.pk]:
                correct = rng.random() < skill - (0.1 if question.kind == Question.Kind.SHORT_TEXT else 0)
                answers.append(SubmittedAnswer(submission=submission, question=question, correct=correct,
                                               answer=self.exam_answer(question, correct)))
            submission.question_count = len(answers)
            submission.correct_count = sum(a.correct for a in answers)
            submission.score = submission.correct_count / submission.question_count
            # Timed as the API times a submission sent with its start: two minutes a question (no draw of the
            # random stream, so the rest of the demo stays as it was).
            submission.duration_seconds = 120.0 * len(answers)
            submission.started_at = at - timedelta(seconds=submission.duration_seconds)
            history.submissions.append((submission, at, answers))

    def exam_answer(self, question: Question, correct: bool) -> str:
        if correct:
            return question.correct_answer
        if question.kind == Question.Kind.MULTIPLE_CHOICE:
            return self.rng.choice([c for c in question.choices if c != question.correct_answer])
        text = question.correct_answer  # a typical slip: a letter left out
        cut = self.rng.randrange(len(text))
        return text[:cut] + text[cut + 1:]

    # --- storing ----------------------------------------------------------------------------------

    def store(self, history: _History) -> None:
        _insert_at(PracticeSession, [(s, at) for s, at, _ in history.sessions], "started_at")
        # bulk_create takes the new pks of sessions and submissions from answer.session / answer.submission.
        answers = [(a, at) for s, _, pairs in history.sessions for a, at in pairs]
        _insert_at(PracticeAnswer, answers, "answered_at")
        _insert_at(Submission, [(s, at) for s, at, _ in history.submissions], "submitted_at")
        submitted = [a for _, _, answers in history.submissions for a in answers]
        SubmittedAnswer.objects.bulk_create(submitted, batch_size=1000)
        _insert_at(Reading, history.readings, "viewed_at")
        _insert_at(GamePlay, history.plays, "completed_at")
        self.summary.practice_sessions = len(history.sessions)
        self.summary.practice_answers = len(answers)
        self.summary.exam_submissions = len(history.submissions)
        self.summary.readings = len(history.readings)
        self.summary.game_plays = len(history.plays)

    def events(self, history: _History) -> list[dict]:
        """The learning events the platform logs for the history's rows, in time order."""
        events = []

        def add(user, event_type, context, classroom, at):
            events.append({"user": user, "event_type": event_type, "context": context, "classroom": classroom,
                           "occurred_at": at, "event_id": self.uuid()})

        for session, started_at, answers in history.sessions:
            practice = {"session_id": str(session.uuid), "word_list_id": session.word_list_id}
            add(session.learner, event_types.PRACTICE_START, practice, session.classroom, started_at)
            for answer, at in answers:
                add(session.learner, event_types.WORD_CORRECT if answer.correct else event_types.WORD_INCORRECT,
                    {"word_id": answer.word_id, "session_id": str(session.uuid), "response_ms": answer.response_ms,
                     "answer": answer.answer}, session.classroom, at)
            add(session.learner, event_types.PRACTICE_END, practice, session.classroom, session.ended_at)
        for submission, at, answers in history.submissions:
            for n, answer in enumerate(answers):  # the first answer carries the submission's time
                add(submission.learner, event_types.EXAM_ANSWER,
                    {"exam_id": submission.exam_id, "question_id": answer.question_id,
                     "submission_id": submission.pk, "correct": answer.correct, "answer": answer.answer,
                     **({"duration_seconds": submission.duration_seconds} if n == 0 else {})},
                    submission.classroom, at)
        for reading, viewed_at in history.readings:
            content = {"content_id": reading.content_id, "content_type": reading.content.kind}
            add(reading.learner, event_types.CONTENT_VIEW, content, reading.classroom, viewed_at)
            if reading.completed_at:
                add(reading.learner, event_types.CONTENT_COMPLETE,
                    {**content, "duration_seconds": reading.duration_seconds}, reading.classroom,
                    reading.completed_at)
        for play, at in history.plays:
            add(play.learner, event_types.GAME_COMPLETE,
                {"game_id": play.game_id, "score": play.score, "duration_seconds": play.duration_seconds,
                 "word_ids": play.word_ids}, play.classroom, at)
        events.sort(key=lambda e: e["occurred_at"])
        return events


def _insert_at(model: type[models.Model], rows: list[tuple[models.Model, datetime]], field_name: str) -> None:
    """Bulk-insert ``rows`` and give each object its past instant in ``field_name``.

    The platform's timestamps are ``auto_now_add`` (a write happens now), which ``bulk_create`` fills with
    the current time; history happened in the past, so the instants are written right after, in bulk.
    """
    objs = [obj for obj, _ in rows]
    model.objects.bulk_create(objs, batch_size=1000)
    for obj, at in rows:
        setattr(obj, field_name, at)
    model.objects.bulk_update(objs, [field_name], batch_size=1000)

