--
-- PostgreSQL database dump
--

\restrict 4sDfL7xCgStDvotuB7MvZ8gBSYyXrVWHKlruBBCk4xWd45J0SRMXhuAyGBVRTJF


SET statement_timeout = 0;
SET lock_timeout = 0;
SET idle_in_transaction_session_timeout = 0;
SET client_encoding = 'UTF8';
SET standard_conforming_strings = on;
SELECT pg_catalog.set_config('search_path', '', false);
SET check_function_bodies = false;
SET xmloption = content;
SET client_min_messages = warning;
SET row_security = off;

SET default_tablespace = '';

SET default_table_access_method = heap;

--
-- Name: activation_batch; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.activation_batch (
    id bigint NOT NULL,
    batch_id text NOT NULL,
    participant_bin text NOT NULL,
    line_id text NOT NULL,
    equipment_id text NOT NULL,
    body_hash bytea NOT NULL,
    item_count integer NOT NULL,
    received_at bigint NOT NULL,
    results bytea NOT NULL
);


--
-- Name: activation_batch_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.activation_batch_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: activation_batch_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.activation_batch_id_seq OWNED BY public.activation_batch.id;


--
-- Name: activation_sequence; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.activation_sequence (
    id integer NOT NULL,
    last bigint NOT NULL,
    CONSTRAINT activation_sequence_id_check CHECK ((id = 1))
);


--
-- Name: aggregation_event; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.aggregation_event (
    id bigint NOT NULL,
    event_id text NOT NULL,
    participant_bin text NOT NULL,
    digest bytea NOT NULL,
    received_at bigint NOT NULL,
    result text NOT NULL
);


--
-- Name: aggregation_event_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.aggregation_event_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: aggregation_event_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.aggregation_event_id_seq OWNED BY public.aggregation_event.id;


--
-- Name: api_token; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.api_token (
    id text NOT NULL,
    hash bytea NOT NULL,
    participant_bin text NOT NULL,
    role text NOT NULL,
    created_at bigint NOT NULL,
    expires_at bigint,
    revoked_at bigint,
    CONSTRAINT api_token_role_check CHECK ((role = ANY (ARRAY['producer'::text, 'importer'::text, 'banknote-factory'::text, 'revenue-body'::text, 'registrar'::text])))
);


--
-- Name: code; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.code (
    id bigint NOT NULL,
    code text NOT NULL,
    series text NOT NULL,
    number bigint NOT NULL,
    owner_bin text NOT NULL,
    waybill_id bigint NOT NULL,
    status text NOT NULL,
    product_code text,
    activated_at bigint,
    activation_batch bigint,
    written_off_at bigint,
    write_off_reason text,
    activation_seq bigint,
    CONSTRAINT code_status_check CHECK ((status = ANY (ARRAY['issued'::text, 'activated'::text, 'writtenOff'::text])))
);


--
-- Name: code_case; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.code_case (
    code_id bigint NOT NULL,
    unit_id bigint NOT NULL
);


--
-- Name: code_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.code_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: code_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.code_id_seq OWNED BY public.code.id;


--
-- Name: monthly_counter; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.monthly_counter (
    participant_bin text NOT NULL,
    month text NOT NULL,
    received bigint DEFAULT 0 NOT NULL,
    activated bigint DEFAULT 0 NOT NULL,
    written_off bigint DEFAULT 0 NOT NULL
);


--
-- Name: schema_migration; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.schema_migration (
    name text NOT NULL,
    applied_at bigint NOT NULL
);


--
-- Name: unit; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.unit (
    id bigint NOT NULL,
    code text NOT NULL COLLATE pg_catalog."C",
    kind text NOT NULL,
    owner_bin text NOT NULL,
    line_id text NOT NULL,
    equipment_id text NOT NULL,
    packed_at bigint NOT NULL,
    packed_event text NOT NULL,
    dissolved_at bigint,
    dissolved_event text,
    pallet_id bigint,
    content_count integer NOT NULL,
    CONSTRAINT unit_kind_check CHECK ((kind = ANY (ARRAY['case'::text, 'pallet'::text])))
);


--
-- Name: unit_content; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.unit_content (
    unit_id bigint NOT NULL,
    content text NOT NULL COLLATE pg_catalog."C",
    "position" integer NOT NULL
);


--
-- Name: unit_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.unit_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: unit_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.unit_id_seq OWNED BY public.unit.id;


--
-- Name: waybill; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.waybill (
    id bigint NOT NULL,
    number text NOT NULL,
    body_hash bytea NOT NULL,
    date text NOT NULL,
    issued_on text NOT NULL,
    month text NOT NULL,
    application_number text NOT NULL,
    application_date text NOT NULL,
    recipient_bin text NOT NULL,
    recipient_name text NOT NULL,
    product_name text NOT NULL,
    product_type text NOT NULL,
    capacity_ml integer NOT NULL,
    quantity integer NOT NULL,
    recorded_at bigint NOT NULL,
    CONSTRAINT waybill_quantity_check CHECK ((quantity > 0))
);


--
-- Name: waybill_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.waybill_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: waybill_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.waybill_id_seq OWNED BY public.waybill.id;


--
-- Name: waybill_range; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.waybill_range (
    waybill_id bigint NOT NULL,
    series text NOT NULL,
    first bigint NOT NULL,
    last bigint NOT NULL,
    CONSTRAINT waybill_range_check CHECK ((last >= first))
);


--
-- Name: activation_batch id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.activation_batch ALTER COLUMN id SET DEFAULT nextval('public.activation_batch_id_seq'::regclass);


--
-- Name: aggregation_event id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.aggregation_event ALTER COLUMN id SET DEFAULT nextval('public.aggregation_event_id_seq'::regclass);


--
-- Name: code id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.code ALTER COLUMN id SET DEFAULT nextval('public.code_id_seq'::regclass);


--
-- Name: unit id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.unit ALTER COLUMN id SET DEFAULT nextval('public.unit_id_seq'::regclass);


--
-- Name: waybill id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.waybill ALTER COLUMN id SET DEFAULT nextval('public.waybill_id_seq'::regclass);


--
-- Data for Name: activation_batch; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.activation_batch (id, batch_id, participant_bin, line_id, equipment_id, body_hash, item_count, received_at, results) FROM stdin;
1	5c0f0a1e-0000-4000-8000-000000000001	970101123452	line-1	cam-1	\\x83c4fe06a780aec0e692a8b21d222c4d2e7c46c1d6b56c872b2d4bd6a33c58df	30	1796396693321	\\x011e000000001500515a413030303030303030303030303030303030310108592841a2010000001500515a4130303030303030303030303030303030303201f05c2841a2010000001500515a4130303030303030303030303030303030303301d8602841a2010000001500515a4130303030303030303030303030303030303401c0642841a2010000001500515a4130303030303030303030303030303030303501a8682841a2010000001500515a4130303030303030303030303030303030303601906c2841a2010000001500515a413030303030303030303030303030303030370178702841a2010000001500515a413030303030303030303030303030303030380160742841a2010000001500515a413030303030303030303030303030303030390148782841a2010000001500515a4130303030303030303030303030303030313001307c2841a2010000001500515a413030303030303030303030303030303031310118802841a2010000001500515a413030303030303030303030303030303031320100842841a2010000001500515a4130303030303030303030303030303030313301e8872841a2010000001500515a4130303030303030303030303030303030313401d08b2841a2010000001500515a4130303030303030303030303030303030313501b88f2841a2010000001500515a4130303030303030303030303030303030313601a0932841a2010000001500515a413030303030303030303030303030303031370188972841a2010000001500515a4130303030303030303030303030303030313801709b2841a2010000001500515a4130303030303030303030303030303030313901589f2841a2010000001500515a413030303030303030303030303030303032300140a32841a2010000001500515a413030303030303030303030303030303032310128a72841a2010000001500515a413030303030303030303030303030303032320110ab2841a2010000001500515a4130303030303030303030303030303030323301f8ae2841a2010000001500515a4130303030303030303030303030303030323401e0b22841a2010000001500515a4130303030303030303030303030303030323501c8b62841a2010000001500515a4130303030303030303030303030303030323601b0ba2841a2010000001500515a413030303030303030303030303030303032370198be2841a2010000001500515a413030303030303030303030303030303032380180c22841a2010000001500515a413030303030303030303030303030303032390168c62841a2010000001500515a413030303030303030303030303030303033300150ca2841a2010000
2	5c0f0a1e-0000-4000-8000-000000000002	970101123452	line-1	cam-1	\\x09d14b284ba64f0c0dc02379fdd45f1e9529ad943b497e6af7aa97d9446e1ccf	10	1796396693345	\\x010a000000001500515a413030303030303030303030303030303033310188475f41a2010000001500515a4130303030303030303030303030303030333201704b5f41a2010000001500515a4130303030303030303030303030303030333301584f5f41a2010000001500515a413030303030303030303030303030303033340140535f41a2010000001500515a413030303030303030303030303030303033350128575f41a2010000001500515a4130303030303030303030303030303030333601105b5f41a2010000001500515a4130303030303030303030303030303030333701f85e5f41a2010000001500515a4130303030303030303030303030303030333801e0625f41a2010000001500515a4130303030303030303030303030303030333901c8665f41a2010000001500515a4130303030303030303030303030303030343001b06a5f41a2010000
3	5c0f0a1e-0000-4000-8000-000000000003	980202543215	line-1	cam-1	\\x0f581812ac81e65b88ea9d42b156be63c5523ba426957d98c0163a87f2affc2f	4	1796396693363	\\x0104000000001500515a4230303030303030303030303030303030303101c8be7a41a2010000001500515a4230303030303030303030303030303030303201b0c27a41a2010000001500515a423030303030303030303030303030303030330198c67a41a2010000001500515a423030303030303030303030303030303030340180ca7a41a2010000
\.


--
-- Data for Name: activation_sequence; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.activation_sequence (id, last) FROM stdin;
1	44
\.


--
-- Data for Name: aggregation_event; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.aggregation_event (id, event_id, participant_bin, digest, received_at, result) FROM stdin;
1	6f1c2d3e-0000-4c6d-8e7f-000000000001	970101123452	\\xa29a4b6d91d72d30313190c3ae6f8ffc77b6ba24a1370e9f7f4f5f4a49ee9fcd	1796396693399	{"eventId":"6F1C2D3E-0000-4C6D-8E7F-000000000001","result":"applied","unit":"048700010000000011"}
2	6f1c2d3e-0000-4c6d-8e7f-000000000002	970101123452	\\x71158b5a4395f8d7550b5bb548c61983965b02ec490e4cac293c53fc9a666272	1796396693399	{"eventId":"6F1C2D3E-0000-4C6D-8E7F-000000000002","result":"applied","unit":"048700010000001001"}
\.


--
-- Data for Name: api_token; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.api_token (id, hash, participant_bin, role, created_at, expires_at, revoked_at) FROM stdin;
3f53cfd0	\\xa5d08ddcbc3844d4eb54f74bb5ef78840e4ef95c5fb482b94ab3dba9899b4ab6	990303000012	banknote-factory	1796396692059	\N	\N
e3fe0ebd	\\x0ffa33c1c794ce9d289077a53bdcc31d777f94993b6e2f786ccc47ff192a118b	970101123452	producer	1796396692160	\N	\N
2a90a3ca	\\x246bc4b0b4a08a660ec7bd45ec1a42e87781913f368c765e3eff143030f668f1	980202543215	producer	1796396692234	\N	\N
3c46f556	\\xe6a5c2ca6e3988db7ad98ee7202b960b9c1b1304da668c996f1184b2ff17dd84	990404000021	revenue-body	1796396692308	\N	\N
f171e6fa	\\xe173eef053ea3f2a5cada73662e8501300089caead5db7eecbff7889e54b0947	990404000021	registrar	1796396692374	\N	\N
\.


--
-- Data for Name: code; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.code (id, code, series, number, owner_bin, waybill_id, status, product_code, activated_at, activation_batch, written_off_at, write_off_reason, activation_seq) FROM stdin;
43	QZA000000000000000043	AB	43	970101123452	1	issued	\N	\N	\N	\N	\N	\N
44	QZA000000000000000044	AB	44	970101123452	1	issued	\N	\N	\N	\N	\N	\N
45	QZA000000000000000045	AB	45	970101123452	1	issued	\N	\N	\N	\N	\N	\N
46	QZA000000000000000046	AB	46	970101123452	1	issued	\N	\N	\N	\N	\N	\N
47	QZA000000000000000047	AB	47	970101123452	1	issued	\N	\N	\N	\N	\N	\N
48	QZA000000000000000048	AB	48	970101123452	1	issued	\N	\N	\N	\N	\N	\N
49	QZA000000000000000049	AB	49	970101123452	1	issued	\N	\N	\N	\N	\N	\N
50	QZA000000000000000050	AB	50	970101123452	1	issued	\N	\N	\N	\N	\N	\N
51	QZA000000000000000051	AB	51	970101123452	1	issued	\N	\N	\N	\N	\N	\N
52	QZA000000000000000052	AB	52	970101123452	1	issued	\N	\N	\N	\N	\N	\N
53	QZA000000000000000053	AB	53	970101123452	1	issued	\N	\N	\N	\N	\N	\N
54	QZA000000000000000054	AB	54	970101123452	1	issued	\N	\N	\N	\N	\N	\N
55	QZA000000000000000055	AB	55	970101123452	1	issued	\N	\N	\N	\N	\N	\N
56	QZA000000000000000056	AB	56	970101123452	1	issued	\N	\N	\N	\N	\N	\N
57	QZA000000000000000057	AB	57	970101123452	1	issued	\N	\N	\N	\N	\N	\N
58	QZA000000000000000058	AB	58	970101123452	1	issued	\N	\N	\N	\N	\N	\N
59	QZA000000000000000059	AB	59	970101123452	1	issued	\N	\N	\N	\N	\N	\N
60	QZA000000000000000060	AB	60	970101123452	1	issued	\N	\N	\N	\N	\N	\N
65	QZB000000000000000005	AC	5	980202543215	2	issued	\N	\N	\N	\N	\N	\N
66	QZB000000000000000006	AC	6	980202543215	2	issued	\N	\N	\N	\N	\N	\N
67	QZB000000000000000007	AC	7	980202543215	2	issued	\N	\N	\N	\N	\N	\N
68	QZB000000000000000008	AC	8	980202543215	2	issued	\N	\N	\N	\N	\N	\N
69	QZB000000000000000009	AC	9	980202543215	2	issued	\N	\N	\N	\N	\N	\N
70	QZB000000000000000010	AC	10	980202543215	2	issued	\N	\N	\N	\N	\N	\N
31	QZA000000000000000031	AB	31	970101123452	1	activated	DSN-0001	1796393093000	2	\N	\N	31
32	QZA000000000000000032	AB	32	970101123452	1	activated	DSN-0001	1796393094000	2	\N	\N	32
33	QZA000000000000000033	AB	33	970101123452	1	activated	DSN-0001	1796393095000	2	\N	\N	33
34	QZA000000000000000034	AB	34	970101123452	1	activated	DSN-0001	1796393096000	2	\N	\N	34
35	QZA000000000000000035	AB	35	970101123452	1	activated	DSN-0001	1796393097000	2	\N	\N	35
36	QZA000000000000000036	AB	36	970101123452	1	activated	DSN-0001	1796393098000	2	\N	\N	36
37	QZA000000000000000037	AB	37	970101123452	1	activated	DSN-0001	1796393099000	2	\N	\N	37
38	QZA000000000000000038	AB	38	970101123452	1	activated	DSN-0001	1796393100000	2	\N	\N	38
39	QZA000000000000000039	AB	39	970101123452	1	activated	DSN-0001	1796393101000	2	\N	\N	39
40	QZA000000000000000040	AB	40	970101123452	1	activated	DSN-0001	1796393102000	2	\N	\N	40
61	QZB000000000000000001	AC	1	980202543215	2	activated	DSN-0001	1796394893000	3	\N	\N	41
62	QZB000000000000000002	AC	2	980202543215	2	activated	DSN-0001	1796394894000	3	\N	\N	42
63	QZB000000000000000003	AC	3	980202543215	2	activated	DSN-0001	1796394895000	3	\N	\N	43
64	QZB000000000000000004	AC	4	980202543215	2	activated	DSN-0001	1796394896000	3	\N	\N	44
41	QZA000000000000000041	AB	41	970101123452	1	writtenOff	\N	\N	\N	1796396093000	damaged	\N
42	QZA000000000000000042	AB	42	970101123452	1	writtenOff	\N	\N	\N	1796396093000	damaged	\N
71	QZB000000000000000011	AC	11	980202543215	2	issued	\N	\N	\N	\N	\N	\N
72	QZB000000000000000012	AC	12	980202543215	2	issued	\N	\N	\N	\N	\N	\N
1	QZA000000000000000001	AB	1	970101123452	1	activated	DSN-0001	1796389493000	1	\N	\N	1
2	QZA000000000000000002	AB	2	970101123452	1	activated	DSN-0001	1796389494000	1	\N	\N	2
3	QZA000000000000000003	AB	3	970101123452	1	activated	DSN-0001	1796389495000	1	\N	\N	3
4	QZA000000000000000004	AB	4	970101123452	1	activated	DSN-0001	1796389496000	1	\N	\N	4
5	QZA000000000000000005	AB	5	970101123452	1	activated	DSN-0001	1796389497000	1	\N	\N	5
6	QZA000000000000000006	AB	6	970101123452	1	activated	DSN-0001	1796389498000	1	\N	\N	6
7	QZA000000000000000007	AB	7	970101123452	1	activated	DSN-0001	1796389499000	1	\N	\N	7
8	QZA000000000000000008	AB	8	970101123452	1	activated	DSN-0001	1796389500000	1	\N	\N	8
9	QZA000000000000000009	AB	9	970101123452	1	activated	DSN-0001	1796389501000	1	\N	\N	9
10	QZA000000000000000010	AB	10	970101123452	1	activated	DSN-0001	1796389502000	1	\N	\N	10
11	QZA000000000000000011	AB	11	970101123452	1	activated	DSN-0001	1796389503000	1	\N	\N	11
12	QZA000000000000000012	AB	12	970101123452	1	activated	DSN-0001	1796389504000	1	\N	\N	12
13	QZA000000000000000013	AB	13	970101123452	1	activated	DSN-0001	1796389505000	1	\N	\N	13
14	QZA000000000000000014	AB	14	970101123452	1	activated	DSN-0001	1796389506000	1	\N	\N	14
15	QZA000000000000000015	AB	15	970101123452	1	activated	DSN-0001	1796389507000	1	\N	\N	15
16	QZA000000000000000016	AB	16	970101123452	1	activated	DSN-0001	1796389508000	1	\N	\N	16
17	QZA000000000000000017	AB	17	970101123452	1	activated	DSN-0001	1796389509000	1	\N	\N	17
18	QZA000000000000000018	AB	18	970101123452	1	activated	DSN-0001	1796389510000	1	\N	\N	18
19	QZA000000000000000019	AB	19	970101123452	1	activated	DSN-0001	1796389511000	1	\N	\N	19
20	QZA000000000000000020	AB	20	970101123452	1	activated	DSN-0001	1796389512000	1	\N	\N	20
21	QZA000000000000000021	AB	21	970101123452	1	activated	DSN-0001	1796389513000	1	\N	\N	21
22	QZA000000000000000022	AB	22	970101123452	1	activated	DSN-0001	1796389514000	1	\N	\N	22
23	QZA000000000000000023	AB	23	970101123452	1	activated	DSN-0001	1796389515000	1	\N	\N	23
24	QZA000000000000000024	AB	24	970101123452	1	activated	DSN-0001	1796389516000	1	\N	\N	24
25	QZA000000000000000025	AB	25	970101123452	1	activated	DSN-0001	1796389517000	1	\N	\N	25
26	QZA000000000000000026	AB	26	970101123452	1	activated	DSN-0001	1796389518000	1	\N	\N	26
27	QZA000000000000000027	AB	27	970101123452	1	activated	DSN-0001	1796389519000	1	\N	\N	27
28	QZA000000000000000028	AB	28	970101123452	1	activated	DSN-0001	1796389520000	1	\N	\N	28
29	QZA000000000000000029	AB	29	970101123452	1	activated	DSN-0001	1796389521000	1	\N	\N	29
30	QZA000000000000000030	AB	30	970101123452	1	activated	DSN-0001	1796389522000	1	\N	\N	30
\.


--
-- Data for Name: code_case; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.code_case (code_id, unit_id) FROM stdin;
1	1
2	1
3	1
4	1
5	1
6	1
7	1
8	1
9	1
10	1
11	1
12	1
\.


--
-- Data for Name: monthly_counter; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.monthly_counter (participant_bin, month, received, activated, written_off) FROM stdin;
980202543215	2026-12	12	4	0
970101123452	2026-12	60	40	2
\.


--
-- Data for Name: schema_migration; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.schema_migration (name, applied_at) FROM stdin;
v1-registrar	1796396691952
v2-reports	1796396691959
v3-activation-stream	1796396691977
v4-activation-time	1796396691987
v5-aggregation	1796396692053
\.


--
-- Data for Name: unit; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.unit (id, code, kind, owner_bin, line_id, equipment_id, packed_at, packed_event, dissolved_at, dissolved_event, pallet_id, content_count) FROM stdin;
2	048700010000001001	pallet	970101123452	line-1	case-packer-1	1796395553000	6f1c2d3e-0000-4c6d-8e7f-000000000002	\N	\N	\N	1
1	048700010000000011	case	970101123452	line-1	case-packer-1	1796395493000	6f1c2d3e-0000-4c6d-8e7f-000000000001	\N	\N	2	12
\.


--
-- Data for Name: unit_content; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.unit_content (unit_id, content, "position") FROM stdin;
1	QZA000000000000000001	0
1	QZA000000000000000002	1
1	QZA000000000000000003	2
1	QZA000000000000000004	3
1	QZA000000000000000005	4
1	QZA000000000000000006	5
1	QZA000000000000000007	6
1	QZA000000000000000008	7
1	QZA000000000000000009	8
1	QZA000000000000000010	9
1	QZA000000000000000011	10
1	QZA000000000000000012	11
2	048700010000000011	0
\.


--
-- Data for Name: waybill; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.waybill (id, number, body_hash, date, issued_on, month, application_number, application_date, recipient_bin, recipient_name, product_name, product_type, capacity_ml, quantity, recorded_at) FROM stdin;
1	WB-FIX-1	\\x2328fdf35cf8e4e7367e0a4fb745a71fc0d4b154afc00b33f59579ef1ce893f5	2026-12-04	2026-12-04	2026-12	APP-WB-FIX-1	2026-12-04	970101123452	Fixture Distillery LLP	Vodka Fixture	vodka	500	60	1796396693142
2	WB-FIX-2	\\x009452f1c2afc55156bc7f97a16481ce2be46661f8658a36df8ecb1009900f39	2026-12-04	2026-12-04	2026-12	APP-WB-FIX-2	2026-12-04	980202543215	Fixture Distillery LLP	Vodka Fixture	vodka	500	12	1796396693287
\.


--
-- Data for Name: waybill_range; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.waybill_range (waybill_id, series, first, last) FROM stdin;
1	AB	1	60
2	AC	1	12
\.


--
-- Name: activation_batch_id_seq; Type: SEQUENCE SET; Schema: public; Owner: -
--

SELECT pg_catalog.setval('public.activation_batch_id_seq', 3, true);


--
-- Name: aggregation_event_id_seq; Type: SEQUENCE SET; Schema: public; Owner: -
--

SELECT pg_catalog.setval('public.aggregation_event_id_seq', 2, true);


--
-- Name: code_id_seq; Type: SEQUENCE SET; Schema: public; Owner: -
--

SELECT pg_catalog.setval('public.code_id_seq', 72, true);


--
-- Name: unit_id_seq; Type: SEQUENCE SET; Schema: public; Owner: -
--

SELECT pg_catalog.setval('public.unit_id_seq', 2, true);


--
-- Name: waybill_id_seq; Type: SEQUENCE SET; Schema: public; Owner: -
--

SELECT pg_catalog.setval('public.waybill_id_seq', 2, true);


--
-- Name: activation_batch activation_batch_batch_id_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.activation_batch
    ADD CONSTRAINT activation_batch_batch_id_key UNIQUE (batch_id);


--
-- Name: activation_batch activation_batch_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.activation_batch
    ADD CONSTRAINT activation_batch_pkey PRIMARY KEY (id);


--
-- Name: activation_sequence activation_sequence_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.activation_sequence
    ADD CONSTRAINT activation_sequence_pkey PRIMARY KEY (id);


--
-- Name: aggregation_event aggregation_event_event_id_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.aggregation_event
    ADD CONSTRAINT aggregation_event_event_id_key UNIQUE (event_id);


--
-- Name: aggregation_event aggregation_event_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.aggregation_event
    ADD CONSTRAINT aggregation_event_pkey PRIMARY KEY (id);


--
-- Name: api_token api_token_hash_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.api_token
    ADD CONSTRAINT api_token_hash_key UNIQUE (hash);


--
-- Name: api_token api_token_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.api_token
    ADD CONSTRAINT api_token_pkey PRIMARY KEY (id);


--
-- Name: code_case code_case_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.code_case
    ADD CONSTRAINT code_case_pkey PRIMARY KEY (code_id);


--
-- Name: code code_code_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.code
    ADD CONSTRAINT code_code_key UNIQUE (code);


--
-- Name: code code_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.code
    ADD CONSTRAINT code_pkey PRIMARY KEY (id);


--
-- Name: code code_series_number_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.code
    ADD CONSTRAINT code_series_number_key UNIQUE (series, number);


--
-- Name: monthly_counter monthly_counter_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.monthly_counter
    ADD CONSTRAINT monthly_counter_pkey PRIMARY KEY (participant_bin, month);


--
-- Name: schema_migration schema_migration_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.schema_migration
    ADD CONSTRAINT schema_migration_pkey PRIMARY KEY (name);


--
-- Name: unit_content unit_content_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.unit_content
    ADD CONSTRAINT unit_content_pkey PRIMARY KEY (unit_id, content);


--
-- Name: unit unit_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.unit
    ADD CONSTRAINT unit_pkey PRIMARY KEY (id);


--
-- Name: waybill waybill_number_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.waybill
    ADD CONSTRAINT waybill_number_key UNIQUE (number);


--
-- Name: waybill waybill_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.waybill
    ADD CONSTRAINT waybill_pkey PRIMARY KEY (id);


--
-- Name: code_activated_at; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX code_activated_at ON public.code USING btree (activated_at, owner_bin) WHERE (activation_seq IS NOT NULL);


--
-- Name: code_activation_seq; Type: INDEX; Schema: public; Owner: -
--

CREATE UNIQUE INDEX code_activation_seq ON public.code USING btree (activation_seq) WHERE (activation_seq IS NOT NULL);


--
-- Name: code_case_unit; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX code_case_unit ON public.code_case USING btree (unit_id);


--
-- Name: code_owner_activation_seq; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX code_owner_activation_seq ON public.code USING btree (owner_bin, activation_seq) WHERE (activation_seq IS NOT NULL);


--
-- Name: code_pool; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX code_pool ON public.code USING btree (owner_bin, status, code COLLATE "C");


--
-- Name: unit_code; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX unit_code ON public.unit USING btree (code, id);


--
-- Name: unit_packed; Type: INDEX; Schema: public; Owner: -
--

CREATE UNIQUE INDEX unit_packed ON public.unit USING btree (code) WHERE (dissolved_at IS NULL);


--
-- Name: unit_pallet; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX unit_pallet ON public.unit USING btree (pallet_id) WHERE (pallet_id IS NOT NULL);


--
-- Name: waybill_recipient; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX waybill_recipient ON public.waybill USING btree (recipient_bin, id);


--
-- Name: code code_activation_batch_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.code
    ADD CONSTRAINT code_activation_batch_fkey FOREIGN KEY (activation_batch) REFERENCES public.activation_batch(id);


--
-- Name: code_case code_case_code_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.code_case
    ADD CONSTRAINT code_case_code_id_fkey FOREIGN KEY (code_id) REFERENCES public.code(id);


--
-- Name: code_case code_case_unit_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.code_case
    ADD CONSTRAINT code_case_unit_id_fkey FOREIGN KEY (unit_id) REFERENCES public.unit(id);


--
-- Name: code code_waybill_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.code
    ADD CONSTRAINT code_waybill_id_fkey FOREIGN KEY (waybill_id) REFERENCES public.waybill(id);


--
-- Name: unit_content unit_content_unit_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.unit_content
    ADD CONSTRAINT unit_content_unit_id_fkey FOREIGN KEY (unit_id) REFERENCES public.unit(id);


--
-- Name: unit unit_pallet_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.unit
    ADD CONSTRAINT unit_pallet_id_fkey FOREIGN KEY (pallet_id) REFERENCES public.unit(id);


--
-- Name: waybill_range waybill_range_waybill_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.waybill_range
    ADD CONSTRAINT waybill_range_waybill_id_fkey FOREIGN KEY (waybill_id) REFERENCES public.waybill(id);


--
-- PostgreSQL database dump complete
--

\unrestrict 4sDfL7xCgStDvotuB7MvZ8gBSYyXrVWHKlruBBCk4xWd45J0SRMXhuAyGBVRTJF

